# R3D-18 on RGB (Table 1, row 1; also the student's architecture, M3).
# mmaction2's ResNet3d(depth=18) with full 3x3x3 convolutions in every
# block (inflate=1) and mmaction2's default layout, spelled out: a (3, 7, 7)
# stem with stride (1, 2, 2), a (1, 3, 3) max-pool with stride (1, 2, 2),
# a temporal max-pool (stride 2) after stage 1, and spatial stride 2 from
# stage 2 on. 33.2 M parameters with the 51-class head, 23.0 GFLOPs per
# 25 x 112 x 112 clip (mmengine's count, 1 per multiply-add, as mmaction2's
# model zoo; 46 counting 2); stage maps of 12x28x28 (after the temporal pool),
# 12x14x14, 12x7x7 and 12x4x4 (T x H x W). torchvision's r3d_18 layout
# (Tran et al.: no pooling, temporal stride 2 from stage 2) has the same
# weights and 66.2 GFLOPs (132 counting 2): with_pool1=False, with_pool2=False,
# temporal_strides=(1, 2, 2, 2); the CPU demo (configs/demo) uses it.
model = dict(
    type='Recognizer3D',
    backbone=dict(
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
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))
