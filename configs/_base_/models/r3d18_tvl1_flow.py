# The teacher (Table 1, row 2): M1 (TV-L1 flow as unrolled layers) computes
# flow from the RGB clip, M2 (R3D-18 with 2 input channels) classifies it.
# The data preprocessor normalises RGB as for the RGB model;
# FlowRecognizer3D undoes it before M1, which reads raw RGB (0..255). Flow
# (pixels) is divided by flow_bound=20 and clipped to [-1, 1], the scale of
# mmaction2's stored flow rawframes.
# M1 uses TVL1OpticalFlow's default setting (5 scales, 5 warps, 8
# iterations; measured against OpenCV's DualTVL1 in docs/benchmarks.md); its
# cheap preset is `TVL1OpticalFlow.FAST_PRESET` (num_warps=1,
# num_iters=(8, 20)), its accurate one `ACCURATE_PRESET` (12 iterations).
# Same R3D-18 and head as the RGB model (r3d18_rgb.py), 2 input channels.
_base_ = ['./r3d18_rgb.py']
model = dict(
    type='FlowRecognizer3D',
    flow_cfg=dict(
        type='TVL1OpticalFlow', num_scales=5, num_warps=5, num_iters=8),
    flow_bound=20.0,
    backbone=dict(in_channels=2))
