# Ablation of the student's distillation term
# (docs/results/distillation_ablations.md): the default (r3d18_distill.py) with
# the hint at stage 3 only, its connector reading the first half of the
# student's channels. On the default's runs the hints at stages 1 and 2 stayed
# at the loss of predicting the teacher's average map, the same for every clip,
# while stage 3 went below it in proportion to the motion the student learned
# (docs/results/distillation_ablations.md).
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill.py']
model = dict(loss_distill=dict(pairs=[('layer3', 'layer3')], loss_weight=10.0))
