# A lever of the teacher (docs/results/teacher_ablations.md): M2 twice as wide
# (16 base channels instead of the slim demo's 8); M1 and the data as the
# demo teacher.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py']
model = dict(
    backbone=dict(base_channels=16), cls_head=dict(in_channels=128))
