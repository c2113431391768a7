# The paper's distillation term: MSE between the student's and the
# teacher's stage-3 feature maps, lambda 10 (no connector; also
# DistillRecognizer3D's class default). A partial model that replaces the
# term of a distill config (r3d18_distill.py's FitNets hints), read with
# Config.fromfile for the reason configs/demo/_base_/r3d18slim.py gives.
model = dict(
    loss_distill=dict(
        _delete_=True,
        type='FeatureMSELoss',
        loss_weight=10.0,
        pairs=[('layer3', 'layer3')]))
