# Ablation of the student's distillation term
# (docs/results/binding.md): the hint at stage 3 only (half the student's
# channels, as -stage3-half) with lambda 1 instead of 10.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill.py']
model = dict(loss_distill=dict(pairs=[('layer3', 'layer3')], loss_weight=1.0))
