# Table 1 row 1 on the CPU demo: R3D-18 layout with 8 base channels on RGB.
_base_ = [
    '../_base_/models/r3d18_rgb.py', './_base_/synthetic_motion_16x32_cpu.py'
]
custom_imports = dict(imports=['tsdistill'], allow_failed_imports=False)
model = dict(
    backbone=dict(base_channels=8),
    cls_head=dict(num_classes=8, in_channels=64, dropout_ratio=0.3))
