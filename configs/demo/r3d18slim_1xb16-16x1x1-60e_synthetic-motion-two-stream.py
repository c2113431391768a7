# Table 1 row 3 on the CPU demo: late fusion of the -rgb and -tvl1 runs
# (test only; each stream loads its own run's checkpoint).
_base_ = [
    '../_base_/models/r3d18_two_stream.py',
    './_base_/synthetic_motion_16x32_cpu.py'
]
custom_imports = dict(imports=['tsdistill'], allow_failed_imports=False)
# slim R3D-18 in torchvision's layout (no pooling: 32 px clips keep 2x2
# maps in stage 4), as the -rgb and -tvl1 runs
slim = dict(
    backbone=dict(
        base_channels=8,
        with_pool1=False,
        with_pool2=False,
        temporal_strides=(1, 2, 2, 2)),
    cls_head=dict(num_classes=8, in_channels=64, dropout_ratio=0.3))
model = dict(
    rgb_stream=slim,
    flow_stream=dict(
        slim, flow_cfg=dict(num_scales=1, num_warps=1, num_iters=30)),
    # product rule (weighted geometric mean, equal weights fixed before any
    # run): the streams see independent cues (colour, motion) on the
    # mixed-cue data; the mean of probabilities let the over-confident RGB
    # stream outvote the flow stream (README, "The main job")
    fusion='product',
    rgb_ckpt='work_dirs/r3d18slim_1xb16-16x1x1-60e_synthetic-motion-rgb',
    flow_ckpt='work_dirs/r3d18slim_1xb16-16x1x1-60e_synthetic-motion-tvl1')
