# Ablation of the student's distillation term
# (docs/results/distillation_ablations.md): the stage3-half ablation with a
# second hint on the stage-4 maps, the input of the head, each connector
# reading the first half of the student's channels. On the stage3-half runs the
# stage-3 hint generalised to the test clips (hint_diagnosis on the test list)
# while the head got the motion wrong on many of them: the head, trained by CE
# alone, did not read it.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill.py']
model = dict(
    loss_distill=dict(
        pairs=[('layer3', 'layer3'), ('layer4', 'layer4')], loss_weight=10.0))
