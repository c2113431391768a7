# Ablation of the student's schedule (docs/results/distillation_ablations.md):
# the default recipe (FitNets hints on stages 1-3, each on half of the
# student's channels, lambda 10, 10 epochs without CE) with every lambda
# decaying linearly to 0 over training (LossSchedule's distill_end_factor), so
# that CE alone shapes the last epochs: the hints lay down the motion features
# first, then the cross-entropy combines them with the appearance.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill.py']
model = dict(
    loss_distill=dict(loss_weight=10.0),
    loss_schedule=dict(distill_end_factor=0.0))
