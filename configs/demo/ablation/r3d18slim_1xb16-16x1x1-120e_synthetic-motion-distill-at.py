# Ablation of the student's distillation loss
# (docs/results/distillation_ablations.md): the -mse variant (stage-3 maps,
# lambda 10, CE from the start) with attention transfer instead of the MSE.
# Zagoruyko & Komodakis weight the mean over positions by beta / 2 = 500;
# AttentionTransferLoss sums over the 4x4x4 = 64 positions of the demo's stage
# 3, so 500 / 64 ~ 8: lambda 10.
_base_ = ['./r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill-mse.py']
model = dict(loss_distill=dict(type='AttentionTransferLoss'))
