# Ablation of the student's matched stages
# (docs/results/distillation_ablations.md): the default (FitNets hints, lambda
# 10, 10-epoch first stage without CE) with a hint at each of stages 1, 2 and 3
# instead of stage 3 alone. On the mixed-cue data the stage-3 hint alone
# stalled at a plateau of its loss for 10 to 40 epochs depending on the seed,
# before the student found the motion (seed 2: not within 60 epochs); hints at
# the shallower stages give the early layers a target of their own.
_base_ = ['./r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill-fitnets.py']
model = dict(
    loss_distill=dict(
        pairs=[('layer1', 'layer1'), ('layer2', 'layer2'),
               ('layer3', 'layer3')]),
    loss_schedule=dict(_delete_=True, distill_only=10))
