# Table 1 row 2 on the CPU demo: M1 (built-in TV-L1; one scale, one warp,
# 30 iterations at 32x32) + M2 (slim R3D-18 on the flow stack), 60 epochs
# like the RGB model and the student: on the motion-only data 20 epochs gave
# 63.6 % and 60 gave 85.2 % (README, "the teacher's levers").
_base_ = [
    '../_base_/models/r3d18_tvl1_flow.py',
    './_base_/synthetic_motion_16x32_cpu_60e.py'
]
custom_imports = dict(imports=['tsdistill'], allow_failed_imports=False)
model = dict(
    flow_cfg=dict(num_scales=1, num_warps=1, num_iters=30),
    # slim R3D-18 in torchvision's layout: no pooling, so 32 px clips keep
    # 2x2 maps in stage 4
    backbone=dict(
        base_channels=8,
        with_pool1=False,
        with_pool2=False,
        temporal_strides=(1, 2, 2, 2)),
    cls_head=dict(num_classes=8, in_channels=64, dropout_ratio=0.3))
