# Schedule and runtime of the CPU demo (tools/run_demo.sh) on the embedded
# synthetic motion dataset; its data (16-frame 32x32 clips, no flip,
# video-level test protocol, HMDB51_SPLIT) is the dataset base
# configs/_base_/datasets/synthetic_motion_video.py.
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/datasets/synthetic_motion_video.py'
]

max_epochs = 20
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
    val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(max_norm=40, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 2, eta_min=0,
         by_epoch=True, begin=2, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=max_epochs, save_best=None, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
# the dataset base's hooks, and the backbones in channels-last layout: on
# a 2-core CPU the main job's seed 0 took 14.8 min instead of 19.5
# (docs/benchmarks.md, "Where the main job's training iterations go")
custom_hooks = [*_base_.custom_hooks, dict(type='ChannelsLastHook')]
