# Two-stream late fusion (Table 1, row 3): the RGB R3D-18 and the flow
# teacher (M1 + M2) read the same RGB clip; their softmax scores are fused
# by a weighted average. The two streams are copies of r3d18_rgb.py and
# r3d18_tvl1_flow.py (mmengine cannot inherit two bases that both define
# `model`); keep them in sync.
rgb_mean = [123.675, 116.28, 103.53]
rgb_std = [58.395, 57.12, 57.375]
r3d18 = dict(
    type='ResNet3d',
    depth=18,
    pretrained=None,
    pretrained2d=False,
    in_channels=3,
    conv1_kernel=(3, 7, 7),
    conv1_stride_t=1,
    conv1_stride_s=2,
    pool1_stride_t=1,
    pool1_stride_s=2,
    with_pool1=True,
    with_pool2=True,
    spatial_strides=(1, 2, 2, 2),
    temporal_strides=(1, 1, 1, 1),
    inflate=(1, 1, 1, 1),
    norm_eval=False,
    zero_init_residual=False)
head = dict(
    type='I3DHead',
    num_classes=51,
    in_channels=512,
    spatial_type='avg',
    dropout_ratio=0.5,
    init_std=0.01,
    average_clips='prob')
preprocessor = dict(
    type='ActionDataPreprocessor',
    mean=rgb_mean,
    std=rgb_std,
    format_shape='NCTHW')
model = dict(
    type='TwoStreamRecognizer3D',
    rgb_stream=dict(
        type='Recognizer3D',
        backbone=r3d18,
        cls_head=head,
        data_preprocessor=preprocessor),
    flow_stream=dict(
        type='FlowRecognizer3D',
        flow_cfg=dict(
            type='TVL1OpticalFlow',
            num_scales=5,
            num_warps=5,
            num_iters=8,
            input_mean=rgb_mean,
            input_std=rgb_std),
        flow_bound=20.0,
        backbone=dict(r3d18, in_channels=2),
        cls_head=head,
        data_preprocessor=preprocessor),
    fusion_weights=(1.0, 1.0),
    # experiment configs set the streams' checkpoints (file or work dir)
    rgb_ckpt=None,
    flow_ckpt=None,
    data_preprocessor=preprocessor)
