# Ablation of the student's distillation term (README, "The transfer"): the
# stage3-half ablation plus a hint at the teacher's input: the student's
# stage-1 maps, through their own connector (first half of the channels),
# regress M1's flow in pixels per frame (teacher feature 'flow'), as
# ActionFlowNet (Ng et al., WACV 2018) trains an RGB network to predict
# flow. lambda 50: on the mixed-cue training clips the flow's mean square
# is 0.17 px^2, so a student that predicts no motion starts at about 8, the
# size of the stage-3 term (lambda 10, teacher maps of variance 0.5-1.4
# about the batch mean).
_base_ = ['../r3d18slim_1xb16-16x1x1-60e_synthetic-motion-distill.py']
model = dict(loss_distill=[
    dict(
        type='FitNetsLoss',
        loss_weight=10.0,
        pairs=[('layer3', 'layer3')],
        hint_fraction=0.5),
    dict(
        type='FitNetsLoss',
        loss_weight=50.0,
        pairs=[('layer1', 'flow')],
        hint_fraction=0.5)
])
