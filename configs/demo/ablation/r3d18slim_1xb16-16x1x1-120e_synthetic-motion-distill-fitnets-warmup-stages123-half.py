# Ablation of the student's distillation term
# (docs/results/distillation_ablations.md): FitNets hints at stages 1, 2 and 3
# (the -stages123 variant), each connector reading only the first half of the
# student's channels (hint_fraction=0.5), so the other half never gets a
# gradient from the colour-blind flow teacher: since this ablation, the default
# of r3d18_distill.py (the same resolved term). Seed 0 of -stages123 found the
# motion (96.6 % of test videos with the motion right) and lost the colour
# (52.3 %, chance 50 %); the stage-3 hint alone kept the colour and found the
# motion late or not at all.
_base_ = [
    './r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill-fitnets-warmup-'
    'stages123.py'
]
model = dict(loss_distill=dict(hint_fraction=0.5))
