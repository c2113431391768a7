# Copyright (c) tsdistill authors. All rights reserved.
"""mmaction2's own tools/train.py and tools/test.py run a tsdistill config.

The config pulls the plugin in with ``custom_imports`` only; checkpoints are
saved and reloaded under torch's ``weights_only`` default.
"""
import os
import os.path as osp
import subprocess
import sys

import mmaction
import pytest
from _helpers.tools import REPO
from mmengine.config import Config

from tsdistill.engine import load_mmaction_tool
from tsdistill.engine.dist_env import DIST_BACKEND_ENV

MMACTION_TOOLS = osp.join(osp.dirname(mmaction.__file__), '.mim', 'tools')
MMACTION_CONFIGS = osp.join(osp.dirname(mmaction.__file__), '.mim', 'configs')

CONFIG = """
custom_imports = dict(imports=['tsdistill'], allow_failed_imports=False)
default_scope = 'mmaction'
model = dict(
    type='Recognizer3D',
    backbone=dict(type='ResNet3d', depth=18, pretrained=None,
                  base_channels=8, num_stages=2, out_indices=(1, ),
                  spatial_strides=(1, 2), temporal_strides=(1, 2),
                  dilations=(1, 1), conv1_kernel=(3, 7, 7),
                  inflate=(1, 1), norm_eval=False),
    cls_head=dict(type='I3DHead', num_classes=2, in_channels=16,
                  average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor',
                           mean=[127.5] * 3, std=[64.0] * 3,
                           format_shape='NCTHW'))
pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=1, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 32)),
    dict(type='CenterCrop', crop_size=24),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
dataset = dict(type='VideoDataset', ann_file={ann!r},
               data_prefix=dict(video={root!r}), pipeline=pipeline)
train_dataloader = dict(batch_size=2, num_workers=0,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dataset)
test_dataloader = dict(batch_size=2, num_workers=0,
                       sampler=dict(type='DefaultSampler', shuffle=False),
                       dataset=dict(dataset, test_mode=True))
test_evaluator = dict(type='AccMetric')
test_cfg = dict(type='TestLoop')
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=0)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1),
                     logger=dict(type='LoggerHook', interval=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
log_level = 'INFO'
"""


def _run(args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable] + args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _write_config(tmp_path, tiny_video_list):
    root, ann = tiny_video_list
    path = tmp_path / 'tiny_r3d.py'
    path.write_text(CONFIG.format(ann=ann, root=root))
    return str(path)


def test_mmaction_train_and_test_with_custom_imports(tmp_path,
                                                     tiny_video_list):
    config = _write_config(tmp_path, tiny_video_list)
    work_dir = str(tmp_path / 'work')
    _run(
        [osp.join(MMACTION_TOOLS, 'train.py'), config, '--work-dir', work_dir],
        cwd=str(tmp_path))
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    # loading the Runner checkpoint goes through torch.load(weights_only)
    out = _run([
        osp.join(MMACTION_TOOLS, 'test.py'), config, ckpt, '--work-dir',
        work_dir
    ],
               cwd=str(tmp_path))
    assert 'acc/top1' in out


def test_plugin_tools_are_the_same_flow(tmp_path, tiny_video_list):
    config = _write_config(tmp_path, tiny_video_list)
    work_dir = str(tmp_path / 'work')
    _run([osp.join(REPO, 'tools', 'train.py'), config, '--work-dir', work_dir],
         cwd=str(tmp_path))
    out = _run([
        osp.join(REPO, 'tools', 'test.py'), config,
        osp.join(work_dir, 'epoch_1.pth'), '--work-dir', work_dir
    ],
               cwd=str(tmp_path))
    assert 'acc/top1' in out


BACKEND_CONFIGS = dict(
    plugin=osp.join(REPO, 'configs', 'recognition', 'r3d18',
                    'r3d18_8xb8-25x1x1-100e_hmdb51-split1-rgb.py'),
    model_zoo=osp.join(
        MMACTION_CONFIGS, 'recognition', 'c3d',
        'c3d_sports1m-pretrained_8xb30-16x1x1-45e_ucf101-rgb.py'))


@pytest.mark.parametrize(
    'config', list(BACKEND_CONFIGS.values()), ids=list(BACKEND_CONFIGS))
@pytest.mark.parametrize('tool', ['train', 'test'])
def test_backend_from_the_environment(tool, config, monkeypatch):
    """The tools give any config the backend TSDISTILL_DIST_BACKEND names;
    the config itself (nccl) does not read the variable."""
    monkeypatch.setenv('LOCAL_RANK', '0')  # parse_args sets it otherwise
    monkeypatch.setenv(DIST_BACKEND_ENV, 'gloo')
    monkeypatch.setattr(sys, 'argv', [tool, config] +
                        (['ckpt.pth'] if tool == 'test' else []))
    cfg = Config.fromfile(config)
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    module = load_mmaction_tool(tool)
    cfg = module.merge_args(cfg, module.parse_args())
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
