# Ablation of the student's distillation term
# (docs/results/binding.md): the default (r3d18_distill.py) with lambda 3
# instead of 10 on each of its three hints.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill.py']
model = dict(loss_distill=dict(loss_weight=3.0))
