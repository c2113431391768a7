# The teacher (Table 1, row 2): M1 (TV-L1 flow as unrolled layers) computes
# flow from the RGB clip, M2 (R3D-18 with 2 input channels) classifies it.
# The data preprocessor normalises RGB as for the RGB model; M1 undoes it
# with the same mean / std. Flow (pixels) is divided by flow_bound=20 and
# clipped to [-1, 1], the scale of mmaction2's stored flow rawframes.
# M1 runs TV-L1 with one scale and one warp of 50 iterations (the cheap
# setting TVNet-style layers use); raise num_scales / num_warps for flow
# closer to OpenCV's DualTVL1 (5 scales, 5 warps).
# Same R3D-18 and head as the RGB model (r3d18_rgb.py), 2 input channels.
_base_ = ['./r3d18_rgb.py']
rgb_mean = [123.675, 116.28, 103.53]
rgb_std = [58.395, 57.12, 57.375]
model = dict(
    type='FlowRecognizer3D',
    flow_cfg=dict(
        type='TVL1OpticalFlow',
        num_scales=1,
        num_warps=1,
        num_iters=50,
        input_mean=rgb_mean,
        input_std=rgb_std),
    flow_bound=20.0,
    backbone=dict(in_channels=2))
