# Copyright (c) tsdistill authors. All rights reserved.
"""Tiny videos, tiny configs and subprocess runs of the plugin's tools.

Everything here is CPU-sized: 8 MJPG videos of 6 frames at 32x32, a 3-stage
ResNet3d with 4 base channels on 4x24x24 crops, a 1-scale, 5-iteration
TV-L1 teacher.
"""
import os
import os.path as osp
import subprocess
import sys
from typing import Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from .tools import REPO, tool_path
from .videos import write_tiny_video

TESTS = osp.join(REPO, 'tests')
TOOLS = tool_path()

NUM_CLASSES = 2
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
BACKBONE = dict(
    type='ResNet3d',
    depth=18,
    pretrained=None,
    base_channels=4,
    num_stages=3,
    out_indices=(2, ),
    spatial_strides=(1, 2, 2),
    temporal_strides=(1, 1, 2),
    dilations=(1, 1, 1),
    conv1_kernel=(3, 7, 7),
    conv1_stride_t=1,
    inflate=(1, 1, 1),
    with_pool1=False,
    with_pool2=False,
    norm_eval=False)
HEAD = dict(
    type='I3DHead',
    num_classes=NUM_CLASSES,
    in_channels=16,
    dropout_ratio=0.0,
    average_clips='prob')
PREPROCESSOR = dict(
    type='ActionDataPreprocessor', mean=MEAN, std=STD, format_shape='NCTHW')
FLOW = dict(type='TVL1OpticalFlow', num_scales=1, num_warps=1, num_iters=5)
TEACHER = dict(
    type='FlowRecognizer3D',
    flow_cfg=FLOW,
    backbone=dict(BACKBONE, in_channels=2),
    cls_head=HEAD,
    data_preprocessor=PREPROCESSOR)


def make_video_dataset(root: str,
                       num_videos: int = 8,
                       num_frames: int = 6,
                       size: int = 32) -> Tuple[str, str]:
    """Tiny two-class video set and its ``<rel path> <label>`` list.

    Returns:
        tuple: ``(video_root, ann_file)``; the files are ``v<i>.avi``.
    """
    video_root = osp.join(root, 'videos')
    lines = []
    for i in range(num_videos):
        label = i % NUM_CLASSES
        rel = f'class{label}/v{i}.avi'
        write_tiny_video(
            osp.join(video_root, rel),
            num_frames,
            size,
            shift=1 if label else -1,
            seed=i)
        lines.append(f'{rel} {label}')
    ann_file = osp.join(root, 'train_list.txt')
    with open(ann_file, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return video_root, ann_file


def recognizer_cfg() -> dict:
    """A plain mmaction2 ``Recognizer3D``."""
    return dict(
        type='Recognizer3D',
        backbone=BACKBONE,
        cls_head=HEAD,
        data_preprocessor=PREPROCESSOR)


def save_teacher(path: str, seed: int = 1) -> str:
    """Save an initialised flow teacher (M1 + M2) as a Runner would."""
    from mmaction.registry import MODELS
    torch.manual_seed(seed)
    teacher = MODELS.build(TEACHER)
    save_checkpoint(dict(state_dict=teacher.state_dict()), path)
    return path


def student_cfg(teacher_ckpt: str) -> dict:
    """The distilled student (``DistillRecognizer3D``) on stage-2 maps."""
    return dict(
        type='DistillRecognizer3D',
        backbone=BACKBONE,
        cls_head=HEAD,
        data_preprocessor=PREPROCESSOR,
        loss_distill=dict(
            type='FeatureMSELoss',
            loss_weight=1.0,
            pairs=[('layer2', 'layer2')]),
        teacher_cfg=TEACHER,
        teacher_ckpt=teacher_ckpt)


def experiment_cfg(model: dict,
                   data: Tuple[str, str],
                   max_epochs: int = 1,
                   num_workers: int = 1,
                   milestones: Sequence[int] = (2, ),
                   probe: bool = True,
                   val: bool = False,
                   hooks: Sequence[dict] = ()) -> dict:
    """A complete training + testing config around ``model``.

    The backend is ``nccl`` on purpose: tests select ``gloo`` through
    ``TSDISTILL_DIST_BACKEND`` or ``--cfg-options``. Augmentation is random
    (frame offsets, crops, flips), seeded by ``randomness``. ``val``
    validates after every epoch; ``hooks`` are added to ``custom_hooks``.
    """
    video_root, ann_file = data
    pipeline = [
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=4, frame_interval=1, num_clips=1),
        dict(type='DecordDecode'),
        dict(type='RandomCrop', size=24),
        dict(type='Flip', flip_ratio=0.5),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs', meta_keys=('img_shape', 'filename'))
    ]
    test_pipeline = [
        dict(type='DecordInit'),
        dict(
            type='SampleFrames',
            clip_len=4,
            frame_interval=1,
            num_clips=1,
            test_mode=True),
        dict(type='DecordDecode'),
        dict(type='CenterCrop', crop_size=24),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')
    ]
    dataset = dict(
        type='VideoDataset',
        ann_file=ann_file,
        data_prefix=dict(video=video_root),
        pipeline=pipeline)
    imports = ['tsdistill'] + (['_helpers.ddp_probe'] if probe else [])
    test_dataloader = dict(
        batch_size=2,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(dataset, pipeline=test_pipeline, test_mode=True))
    if val:
        val_parts = dict(
            val_dataloader=test_dataloader,
            val_evaluator=dict(type='AccMetric'),
            val_cfg=dict(type='ValLoop'))
    else:
        val_parts = {}
    custom_hooks = [dict(type='DDPProbeHook')] if probe else []
    return dict(
        **val_parts,
        custom_imports=dict(imports=imports, allow_failed_imports=False),
        default_scope='mmaction',
        model=model,
        train_dataloader=dict(
            batch_size=2,
            num_workers=num_workers,
            persistent_workers=False,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dataset),
        test_dataloader=test_dataloader,
        test_evaluator=dict(type='AccMetric'),
        test_cfg=dict(type='TestLoop'),
        train_cfg=dict(
            type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1),
        optim_wrapper=dict(
            optimizer=dict(
                type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4)),
        param_scheduler=[
            dict(
                type='MultiStepLR',
                milestones=list(milestones),
                by_epoch=True,
                begin=0,
                end=max_epochs)
        ],
        default_hooks=dict(
            runtime_info=dict(type='RuntimeInfoHook'),
            timer=dict(type='IterTimerHook'),
            logger=dict(type='LoggerHook', interval=1),
            param_scheduler=dict(type='ParamSchedulerHook'),
            checkpoint=dict(type='CheckpointHook', interval=1),
            sampler_seed=dict(type='DistSamplerSeedHook'),
            # as in default_runtime.py: BN statistics averaged over ranks
            # at the end of each epoch (DDP does not broadcast buffers)
            sync_buffers=dict(type='SyncBuffersHook')),
        custom_hooks=custom_hooks + list(hooks),
        env_cfg=dict(
            cudnn_benchmark=False,
            mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
            dist_cfg=dict(backend='nccl')),
        randomness=dict(seed=0, deterministic=True),
        log_level='INFO')


def write_cfg(cfg: dict, path: str) -> str:
    """Dump a config dict to a ``.py`` file for the tools."""
    Config(cfg).dump(path)
    return path


def tool_env(**extra: str) -> dict:
    """Environment of a tool subprocess: one thread, plugin importable."""
    env = dict(os.environ)
    env.pop('TSDISTILL_DIST_BACKEND', None)
    env.update(
        OMP_NUM_THREADS='1',
        MKL_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join([REPO, TESTS]),
        PYTHON=sys.executable)
    env.update(extra)
    return env


def run(cmd: Sequence[str],
        env: Optional[dict] = None,
        timeout: float = 300,
        **kwargs) -> str:
    """Run a command; fail with the end of its output if it fails."""
    proc = subprocess.run(
        list(cmd),
        env=tool_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{cmd} failed:\n{out[-4000:]}'
    return out


def free_port() -> int:
    """A TCP port free right now (for torchrun's rendezvous)."""
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
