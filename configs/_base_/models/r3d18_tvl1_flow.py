# The teacher (Table 1, row 2): M1 (TV-L1 flow as unrolled layers) computes
# flow from the RGB clip, M2 (R3D-18 with 2 input channels) classifies it.
# The data preprocessor normalises RGB as for the RGB model; M1 undoes it
# with the same mean / std. Flow (pixels) is divided by flow_bound=20 and
# clipped to [-1, 1], the scale of mmaction2's stored flow rawframes.
# M1 runs TV-L1 with one scale and one warp of 50 iterations (the cheap
# setting TVNet-style layers use); raise num_scales / num_warps for flow
# closer to OpenCV's DualTVL1 (5 scales, 5 warps).
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
    backbone=dict(
        type='ResNet3d',
        depth=18,
        pretrained=None,
        pretrained2d=False,
        in_channels=2,
        conv1_kernel=(3, 7, 7),
        conv1_stride_t=1,
        conv1_stride_s=2,
        with_pool1=False,
        with_pool2=False,
        spatial_strides=(1, 2, 2, 2),
        temporal_strides=(1, 2, 2, 2),
        inflate=(1, 1, 1, 1),
        norm_eval=False,
        zero_init_residual=False),
    cls_head=dict(
        type='I3DHead',
        num_classes=51,
        in_channels=512,
        spatial_type='avg',
        dropout_ratio=0.5,
        init_std=0.01,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=rgb_mean,
        std=rgb_std,
        format_shape='NCTHW'))
