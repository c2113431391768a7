# A lever of the teacher (docs/results/teacher_ablations.md): M1 trainable, as
# in TVNet (its difference kernels and initial flow are learnt with M2 under
# the cross-entropy); M2 and the data as the demo teacher.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py']
model = dict(flow_cfg=dict(trainable=True))
