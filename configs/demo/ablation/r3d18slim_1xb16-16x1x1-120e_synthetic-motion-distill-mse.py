# Ablation of the student's distillation loss
# (docs/results/distillation_ablations.md): the paper's term, MSE between the
# stage-3 feature maps, lambda 10.
from mmengine import Config

_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill.py']
model = dict(
    Config.fromfile('{{ fileDirname }}/../../_base_/models/'
                    'r3d18_distill_mse.py').model,
    # CE from the start (the base's default has a first stage)
    loss_schedule=None)
del Config
