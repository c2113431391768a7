# Ablation of the student's matched stages
# (docs/results/distillation_ablations.md): the default (FitNets hints, lambda
# 10, 10-epoch first stage without CE) with hints at stages 2 and 3 instead of
# stage 3 alone (see the -stages123 variant for why).
_base_ = ['./r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill-fitnets.py']
model = dict(
    loss_distill=dict(pairs=[('layer2', 'layer2'), ('layer3', 'layer3')]),
    loss_schedule=dict(_delete_=True, distill_only=10))
