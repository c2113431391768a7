# Ablation of the student's distillation term
# (docs/results/binding.md): the default (r3d18_distill.py) with each
# connector reading the first quarter of the student's channels instead of
# half, leaving three quarters free of the colour-blind teacher.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill.py']
model = dict(loss_distill=dict(hint_fraction=0.25, loss_weight=10.0))
