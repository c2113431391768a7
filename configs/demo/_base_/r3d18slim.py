# The CPU demo's R3D-18: torchvision's layout (no pooling, so 32 px clips
# keep 2x2 maps in stage 4) with 8 base channels, and its head for the 8
# classes. A partial model that the -rgb, -tvl1 and -distill configs merge
# into the model of their base (the -two-stream config takes those three's
# models): read with Config.fromfile, because mmengine cannot inherit it
# next to a model base (both define `model`), and a `{{_base_.xxx}}`
# variable would become a key of the configs.
model = dict(
    backbone=dict(
        base_channels=8,
        with_pool1=False,
        with_pool2=False,
        temporal_strides=(1, 2, 2, 2)),
    cls_head=dict(num_classes=8, in_channels=64, dropout_ratio=0.3))
