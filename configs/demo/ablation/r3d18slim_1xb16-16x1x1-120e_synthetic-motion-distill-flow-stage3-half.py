# Ablation of the student's distillation term
# (docs/results/distillation_ablations.md): the stage3-half ablation plus a
# hint at the teacher's input: the student's stage-1 maps, through their own
# connector (first half of the channels), regress M1's flow in pixels per frame
# (teacher feature 'flow'), as ActionFlowNet (Ng et al., WACV 2018) trains an
# RGB network to predict flow. lambda 10, like the other terms: with lambda 50
# (which would have made the term of a student that predicts no motion, 50 x
# 0.17 px^2 on the mixed-cue training clips, the size of the stage-3 term) the
# gradient norm sat at the clipping bound (40) and the flow loss rose during
# the first stage instead of falling (a run of seed 0, stopped at epoch 16).
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill.py']
model = dict(loss_distill=[
    dict(
        type='FitNetsLoss',
        loss_weight=10.0,
        pairs=[('layer3', 'layer3')],
        hint_fraction=0.5),
    dict(
        type='FitNetsLoss',
        loss_weight=10.0,
        pairs=[('layer1', 'flow')],
        hint_fraction=0.5)
])
