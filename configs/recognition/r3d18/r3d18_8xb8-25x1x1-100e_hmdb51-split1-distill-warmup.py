# The paper's term and two stages: the first 10 epochs train the student's
# layers up to stage 3 on the distillation term alone (loss_cls weighted
# 0), then CE + lambda * MSE of the stage-3 maps (no connector).
from mmengine import Config

_base_ = ['./r3d18_8xb8-25x1x1-100e_hmdb51-split1-distill.py']

model = dict(
    Config.fromfile('{{ fileDirname }}/../../_base_/models/'
                    'r3d18_distill_mse.py').model,
    loss_schedule=dict(_delete_=True, by_epoch=True, distill_only=10))
del Config
