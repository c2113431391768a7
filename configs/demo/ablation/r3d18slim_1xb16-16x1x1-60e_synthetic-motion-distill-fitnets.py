# Ablation of the student's distillation loss (README, "The transfer"):
# FitNets hints, MSE between a trainable 1x1x1 projection of the student's
# stage-3 map and the teacher's, lambda 10 (the paper's weight). Only the
# projection has to match the flow features, so the student's other
# directions stay free for appearance.
_base_ = ['../r3d18slim_1xb16-16x1x1-60e_synthetic-motion-distill.py']
model = dict(
    loss_distill=dict(
        _delete_=True,
        type='FitNetsLoss',
        loss_weight=10.0,
        pairs=[('layer3', 'layer3')]),
    # CE from the start (the base's default has a first stage)
    loss_schedule=None)
