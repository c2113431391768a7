# Ablation of the student's distillation term
# (docs/results/distillation_ablations.md): FitNets hints on stage 3, lambda
# 10, after the paper's first stage: the first 10 epochs with the distillation
# term alone (CE weight 0). With CE from the start the student fits the colour
# within a few epochs and found the motion late or never (FitNets: 98.9, 64.8
# and 31.8 % over seeds 0-2, the motion showing in the CE after about 20, 40
# and no epochs); the warm-up makes the early layers learn from the teacher
# alone.
_base_ = ['./r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill-fitnets.py']
model = dict(loss_schedule=dict(_delete_=True, distill_only=10))
