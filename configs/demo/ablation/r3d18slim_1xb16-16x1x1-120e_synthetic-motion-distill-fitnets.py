# Ablation of the student's distillation loss
# (docs/results/distillation_ablations.md): the -mse variant (stage-3 maps,
# lambda 10 as in the paper, CE from the start) with FitNets hints: MSE between
# a trainable 1x1x1 projection of the student's stage-3 map and the teacher's.
# Only the projection has to match the flow features, so the student's other
# directions stay free for appearance.
_base_ = ['./r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill-mse.py']
model = dict(loss_distill=dict(type='FitNetsLoss'))
