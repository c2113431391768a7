# Copyright (c) tsdistill authors. All rights reserved.
"""Real multi-process DDP (gloo, CPU) and kill-and-resume, as users run them.

* ``tools/dist_train.sh`` with 2 processes trains the distilled student:
  disjoint samples per rank, teacher unchanged on both ranks, no
  ``find_unused_parameters``.
* ``tools/train.py`` killed with SIGKILL after its first checkpoint and
  resumed with ``--resume`` ends with the same weights as an uninterrupted
  run.
"""
import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch
from mmengine.runner import save_checkpoint

from tsdistill.datasets.synthetic_motion import generate_motion_dataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HERE = osp.dirname(osp.abspath(__file__))

TINY_BACKBONE = dict(
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
    num_classes=2,
    in_channels=16,
    dropout_ratio=0.0,
    average_clips='prob')
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
PREPROCESSOR = dict(
    type='ActionDataPreprocessor', mean=MEAN, std=STD, format_shape='NCTHW')
FLOW = dict(
    type='TVL1OpticalFlow',
    num_scales=1,
    num_warps=1,
    num_iters=5,
    input_mean=MEAN,
    input_std=STD)

CONFIG = """
custom_imports = dict(imports=['tsdistill', 'ddp_probe'],
                      allow_failed_imports=False)
default_scope = 'mmaction'
model = {model!r}
pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=4, frame_interval=1, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='RandomCrop', size=24),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=2, num_workers=1, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CheckedVideoDataset', ann_file={ann!r},
                 data_prefix=dict(video={root!r}), pipeline=pipeline))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs={epochs},
                 val_interval=100)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                                    weight_decay=1e-4))
param_scheduler = dict(type='MultiStepLR', milestones=[1], by_epoch=True,
                       begin=0, end={epochs})
default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
custom_hooks = [dict(type='DDPProbeHook')]
env_cfg = dict(cudnn_benchmark=False,
               mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='{{{{$TSDISTILL_DIST_BACKEND:nccl}}}}'))
randomness = dict(seed=0, deterministic=True)
log_level = 'INFO'
"""


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('ddp_data'))
    generate_motion_dataset(
        root,
        videos_per_class=4,
        num_frames=6,
        size=32,
        classes=('move_left', 'move_right'))
    ann = osp.join(root, 'train.txt')
    with open(ann, 'w') as f:
        for label, name in enumerate(('move_left', 'move_right')):
            for k in range(4):
                f.write(f'{name}/{name}_{k:03d}.avi {label}\n')
    return osp.join(root, 'videos'), ann


def _teacher_ckpt(path):
    from mmaction.registry import MODELS
    torch.manual_seed(1)
    teacher = MODELS.build(
        dict(
            type='FlowRecognizer3D',
            flow_cfg=FLOW,
            backbone=dict(TINY_BACKBONE, in_channels=2),
            cls_head=HEAD,
            data_preprocessor=PREPROCESSOR))
    save_checkpoint(dict(state_dict=teacher.state_dict()), path)
    return path


def _env(**extra):
    return dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join([REPO, HERE]),
        PYTHON=sys.executable,
        **extra)


def _write_config(tmp_path, tiny_data, model, epochs):
    root, ann = tiny_data
    path = tmp_path / 'cfg.py'
    path.write_text(
        CONFIG.format(model=model, ann=ann, root=root, epochs=epochs))
    return str(path)


def _read(work_dir, name):
    with open(osp.join(work_dir, 'probe', name)) as f:
        return json.load(f)


def test_two_process_ddp_trains_the_student(tmp_path, tiny_data):
    teacher_ckpt = _teacher_ckpt(str(tmp_path / 'teacher.pth'))
    model = dict(
        type='DistillRecognizer3D',
        backbone=TINY_BACKBONE,
        cls_head=HEAD,
        data_preprocessor=PREPROCESSOR,
        distill_features=('layer2', ),
        teacher_cfg=dict(
            type='FlowRecognizer3D',
            flow_cfg=FLOW,
            backbone=dict(TINY_BACKBONE, in_channels=2),
            cls_head=HEAD,
            data_preprocessor=PREPROCESSOR),
        teacher_ckpt=teacher_ckpt)
    config = _write_config(tmp_path, tiny_data, model, epochs=1)
    work_dir = str(tmp_path / 'work')
    proc = subprocess.run([
        'bash',
        osp.join(REPO, 'tools', 'dist_train.sh'), config, '2', '--work-dir',
        work_dir
    ],
                          env=_env(
                              TSDISTILL_DIST_BACKEND='gloo', PORT='29517'),
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'loss_distill' in log
    # the backend came from TSDISTILL_DIST_BACKEND (no nccl on CPU)
    assert 'TSDISTILL_DIST_BACKEND' in log
    ranks = [_read(work_dir, f'indices_epoch0_rank{r}.json') for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == 4
    assert not set(ranks[0]) & set(ranks[1])
    assert sorted(ranks[0] + ranks[1]) == list(range(8))
    reference = None
    for rank in (0, 1):
        before = _read(work_dir, f'before_rank{rank}.json')
        after = _read(work_dir, f'after_rank{rank}.json')
        assert before['wrapped'] == 'MMDistributedDataParallel'
        assert before['teacher'] == after['teacher']
        assert after['teacher_training'] is False
        reference = reference or before['teacher']
        assert before['teacher'] == reference  # same teacher on both ranks
    # the saved student has no teacher weights
    ckpt = torch.load(osp.join(work_dir, 'epoch_1.pth'), map_location='cpu')
    assert not any(k.startswith('teacher') for k in ckpt['state_dict'])


def _train(config, work_dir, *args, popen=False):
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'), config, '--work-dir', work_dir,
        *args
    ]
    if popen:
        return subprocess.Popen(
            cmd,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
    proc = subprocess.run(
        cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_kill_and_resume_matches_uninterrupted_run(tmp_path, tiny_data):
    model = dict(
        type='Recognizer3D',
        backbone=TINY_BACKBONE,
        cls_head=HEAD,
        data_preprocessor=PREPROCESSOR)
    config = _write_config(tmp_path, tiny_data, model, epochs=3)
    full = str(tmp_path / 'full')
    _train(config, full)

    killed = str(tmp_path / 'killed')
    proc = _train(config, killed, popen=True)
    first = osp.join(killed, 'epoch_1.pth')
    deadline = time.time() + 300
    while not osp.exists(osp.join(killed, 'last_checkpoint')):
        assert proc.poll() is None, 'training ended before a checkpoint'
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert osp.exists(first)
    assert not osp.exists(osp.join(killed, 'epoch_3.pth'))
    out = _train(config, killed, '--resume')
    assert 'resumed epoch: 1' in out.stdout + out.stderr or \
        'resumed epoch:' in out.stdout + out.stderr

    a = torch.load(osp.join(full, 'epoch_3.pth'), map_location='cpu')
    b = torch.load(osp.join(killed, 'epoch_3.pth'), map_location='cpu')
    assert a['meta']['epoch'] == b['meta']['epoch'] == 3
    assert a['meta']['iter'] == b['meta']['iter']
    for key, value in a['state_dict'].items():
        torch.testing.assert_close(
            b['state_dict'][key], value, rtol=0, atol=0, msg=key)
    assert a['param_schedulers'] == b['param_schedulers']
    # the second run really resumed: it did not write epoch 1 again
    assert len(glob.glob(osp.join(killed, '*', 'vis_data'))) >= 1


def test_slurm_scripts_build_the_command_line(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    record = tmp_path / 'srun_args.txt'
    fake = bin_dir / 'srun'
    fake.write_text('#!/usr/bin/env bash\n'
                    f'printf "%s\\n" "$@" > {record}\n'
                    f'echo "PYTHONPATH=$PYTHONPATH" >> {record}\n')
    fake.chmod(0o755)
    env = dict(
        os.environ,
        PATH=f'{bin_dir}:{os.environ["PATH"]}',
        GPUS='16',
        GPUS_PER_NODE='8',
        CPUS_PER_TASK='4',
        SRUN_ARGS='--qos=high',
        PYTHON='python3')
    subprocess.run([
        'bash',
        osp.join(REPO, 'tools', 'slurm_train.sh'), 'gpu', 'distill',
        'configs/x.py', '--work-dir', 'w d', '--amp'
    ],
                   env=env,
                   check=True,
                   capture_output=True)
    args = record.read_text().splitlines()
    assert args[:8] == [
        '-p', 'gpu', '--job-name=distill', '--gres=gpu:8', '--ntasks=16',
        '--ntasks-per-node=8', '--cpus-per-task=4', '--kill-on-bad-exit=1'
    ]
    assert args[8:11] == ['--qos=high', 'python3', '-u']
    assert args[11] == osp.join(REPO, 'tools', 'train.py')
    assert args[12:17] == [
        'configs/x.py', '--launcher=slurm', '--work-dir', 'w d', '--amp'
    ]
    assert args[17] == f'PYTHONPATH={REPO}' or args[17].startswith(
        f'PYTHONPATH={REPO}:')
    subprocess.run([
        'bash',
        osp.join(REPO, 'tools', 'slurm_test.sh'), 'gpu', 'test',
        'configs/x.py', 'ckpt.pth', '--dump', 'r.pkl'
    ],
                   env=env,
                   check=True,
                   capture_output=True)
    args = record.read_text().splitlines()
    assert args[11] == osp.join(REPO, 'tools', 'test.py')
    assert args[12:17] == [
        'configs/x.py', 'ckpt.pth', '--launcher=slurm', '--dump', 'r.pkl'
    ]
