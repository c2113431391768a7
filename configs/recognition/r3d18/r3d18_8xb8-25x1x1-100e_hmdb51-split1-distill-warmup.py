# The paper's two stages: the first 10 epochs train the student's layers up
# to stage 3 on the distillation term alone (loss_cls weighted 0), then
# CE + lambda * MSE.
_base_ = ['./r3d18_8xb8-25x1x1-100e_hmdb51-split1-distill.py']

model = dict(loss_schedule=dict(by_epoch=True, distill_only=10))
