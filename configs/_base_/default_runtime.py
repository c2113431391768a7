# mmaction2 1.2.0's default runtime (its configs/_base_/default_runtime.py)
# with three differences: the plugin's custom_imports (so no config that
# inherits this runtime repeats it), at most 3 epoch checkpoints kept
# (max_keep_ckpts) and the TensorBoard switch below. A copy, not `_base_ =
# 'mmaction::_base_/default_runtime.py'`: mmengine 0.10.7 finds a package's
# configs through pkg_resources, which setuptools 82 and later no longer
# ship, so that base would not load. tests/engine/test_default_runtime.py
# checks that the rest is mmaction2's.
default_scope = 'mmaction'
custom_imports = dict(imports=['tsdistill'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', interval=1, save_best='auto', max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py and tools/test.py replace the backend with
    # TSDISTILL_DIST_BACKEND (e.g. gloo on CPU-only machines) in any config:
    # tsdistill/engine/mmaction_tools.py
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)

# Scalars (losses, lr, accuracies) go to <work_dir>/<timestamp>/vis_data/
# scalars.json (LocalVisBackend; tsdistill/jobs/plots.py draws them).
# TensorBoard switch: TSDISTILL_TENSORBOARD=1 adds mmengine's
# TensorboardVisBackend, which writes event files next to scalars.json:
#   TSDISTILL_TENSORBOARD=1 python tools/train.py CONFIG
#   tensorboard --logdir work_dirs
# Off by default. TensorBoard is not a dependency of tsdistill and may not
# be installed: `pip install tensorboard` (or `pip install -e .[tensorboard]`)
# first, otherwise the Runner stops at start-up with mmengine's ImportError
# ('Please run "pip install future tensorboard" ...'). In a config file the
# same is `visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
# dict(type='TensorboardVisBackend')])`.
# (`__tensorboard` starts with two underscores, so mmengine leaves it out of
# the config: with the switch off the config is the same as without it.)
__tensorboard = '{{$TSDISTILL_TENSORBOARD:0}}'
if __tensorboard not in ('0', '1'):
    raise ValueError('TSDISTILL_TENSORBOARD must be 0 (off) or 1 (log to '
                     f'TensorBoard too), got {__tensorboard!r}')
vis_backends = [dict(type='LocalVisBackend')]
if __tensorboard == '1':
    vis_backends.append(dict(type='TensorboardVisBackend'))
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
