# Ablation of the student's distillation loss (README, "The transfer"):
# attention transfer on the stage-3 maps. Zagoruyko & Komodakis weight the
# mean over positions by beta / 2 = 500; AttentionTransferLoss sums over
# the 4x4x4 = 64 positions of the demo's stage 3, so 500 / 64 ~ 8: lambda 10.
_base_ = ['../r3d18slim_1xb16-16x1x1-60e_synthetic-motion-distill.py']
model = dict(
    loss_distill=dict(
        _delete_=True,
        type='AttentionTransferLoss',
        loss_weight=10.0,
        pairs=[('layer3', 'layer3')]),
    # CE from the start (the base's default has a first stage)
    loss_schedule=None)
