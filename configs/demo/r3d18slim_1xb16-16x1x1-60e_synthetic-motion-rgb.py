# Table 1 row 1 on the CPU demo: R3D-18 layout with 8 base channels on RGB.
_base_ = [
    '../_base_/models/r3d18_rgb.py',
    './_base_/synthetic_motion_16x32_cpu_60e.py'
]
custom_imports = dict(imports=['tsdistill'], allow_failed_imports=False)
model = dict(
    # slim R3D-18 in torchvision's layout: no pooling, so 32 px clips keep
    # 2x2 maps in stage 4
    backbone=dict(
        base_channels=8,
        with_pool1=False,
        with_pool2=False,
        temporal_strides=(1, 2, 2, 2)),
    cls_head=dict(num_classes=8, in_channels=64, dropout_ratio=0.3))
