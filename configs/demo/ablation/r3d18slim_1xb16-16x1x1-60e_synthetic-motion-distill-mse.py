# Ablation of the student's distillation loss (README, "The transfer"):
# the paper's term, MSE between the stage-3 feature maps, lambda 10.
_base_ = ['../r3d18slim_1xb16-16x1x1-60e_synthetic-motion-distill.py']
model = dict(
    loss_distill=dict(
        _delete_=True,
        type='FeatureMSELoss',
        loss_weight=10.0,
        pairs=[('layer3', 'layer3')]),
    # CE from the start (the base's default has a first stage)
    loss_schedule=None)
