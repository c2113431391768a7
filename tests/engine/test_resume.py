# Copyright (c) tsdistill authors. All rights reserved.
"""Kill-and-resume: SIGKILL after the first checkpoint, ``--resume``, compare.

``tools/train.py`` trains 3 epochs (4 iterations each, random frame offsets,
crops and flips, seed 0, deterministic) once uninterrupted and once killed
with SIGKILL as soon as its first checkpoint is complete, then resumed with
``--resume`` (auto: ``<work_dir>/last_checkpoint``). Both runs must end with
bit-identical weights, BN statistics, optimizer state (SGD momentum, lr),
scheduler state and counters, having trained on the same files in the same
order in every epoch.

Why this is exact: the model, optimizer, schedulers and counters are in the
checkpoint; the sampler's order depends only on ``seed + epoch``; and the
augmentation runs in a DataLoader worker (``num_workers=1``,
``persistent_workers=False``) that mmengine's ``worker_init_fn`` re-seeds
from ``seed`` and its worker id at the start of every epoch, so no random
state survives from one epoch to the next. Nothing in the model draws
random numbers (no dropout).
"""
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
from _helpers.launch import (TOOLS, experiment_cfg, make_video_dataset,
                             recognizer_cfg, run, save_teacher, student_cfg,
                             tool_env, write_cfg)

EPOCHS, ITERS_PER_EPOCH = 3, 4  # 8 videos, batch 2


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return make_video_dataset(str(tmp_path_factory.mktemp('resume_data')))


def _train_cmd(cfg, work_dir, *args):
    return [
        sys.executable,
        osp.join(TOOLS, 'train.py'), cfg, '--work-dir', work_dir, *args
    ]


def _train_killed_after_first_checkpoint(cfg, work_dir, timeout=300):
    """Start training, SIGKILL it (and its DataLoader worker) once the
    first checkpoint is complete; returns the checkpoints left behind."""
    proc = subprocess.Popen(
        _train_cmd(cfg, work_dir),
        env=tool_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True)  # its own process group
    # CheckpointHook writes `last_checkpoint` after the .pth is complete
    marker = osp.join(work_dir, 'last_checkpoint')
    deadline = time.time() + timeout
    try:
        while not osp.exists(marker):
            assert proc.poll() is None, 'training ended before a checkpoint'
            assert time.time() < deadline, 'no checkpoint in time'
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return sorted(f for f in os.listdir(work_dir) if f.endswith('.pth'))


def _assert_same(a, b, where='checkpoint'):
    """Exact equality of nested dicts / lists / tensors / numbers."""
    if isinstance(a, torch.Tensor):
        torch.testing.assert_close(b, a, rtol=0, atol=0, msg=where)
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for key in a:
            _assert_same(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f'{where}[{i}]')
    else:
        assert a == b, where


def _load(work_dir):
    return torch.load(
        osp.join(work_dir, f'epoch_{EPOCHS}.pth'), map_location='cpu')


def _seen(work_dir, epoch):
    with open(osp.join(work_dir, 'probe', f'seen_epoch{epoch}_rank0.json')) \
            as f:
        return f.read()


def _kill_resume_and_compare(tmp_path, cfg):
    """Uninterrupted vs killed + resumed; returns both final checkpoints."""
    full, killed = str(tmp_path / 'full'), str(tmp_path / 'killed')
    run(_train_cmd(cfg, full))

    left = _train_killed_after_first_checkpoint(cfg, killed)
    assert 'epoch_1.pth' in left and f'epoch_{EPOCHS}.pth' not in left
    out = run(_train_cmd(cfg, killed, '--resume'))
    resumed = re.search(r'resumed epoch: (\d+), iter: (\d+)', out)
    assert resumed, out[-3000:]
    epoch, it = int(resumed.group(1)), int(resumed.group(2))
    assert 1 <= epoch < EPOCHS and it == epoch * ITERS_PER_EPOCH

    a, b = _load(full), _load(killed)
    # counters, schedulers, sampler order: always restored
    for key in ('epoch', 'iter', 'seed'):
        assert a['meta'][key] == b['meta'][key], key
    assert b['meta']['epoch'] == EPOCHS
    assert b['meta']['iter'] == EPOCHS * ITERS_PER_EPOCH
    info_a = a['message_hub']['runtime_info']
    info_b = b['message_hub']['runtime_info']
    for key in ('epoch', 'iter', 'max_epochs', 'max_iters'):
        assert info_a[key] == info_b[key], key
    _assert_same(a['param_schedulers'], b['param_schedulers'], 'schedulers')
    # the milestone at epoch 2 was applied once, in both runs
    for ckpt in (a, b):
        assert [g['lr'] for g in ckpt['optimizer']['param_groups']] == \
            pytest.approx([0.001])
    # same files in the same order in every epoch
    for e in range(EPOCHS):
        assert _seen(full, e) == _seen(killed, e), f'epoch {e}'
    return a, b


def _assert_same_training_state(a, b):
    _assert_same(a['state_dict'], b['state_dict'], 'state_dict')
    _assert_same(a['optimizer'], b['optimizer'], 'optimizer')
    # momentum really is resumed state (non-zero after 12 SGD steps)
    assert any(s['momentum_buffer'].abs().sum() > 0
               for s in b['optimizer']['state'].values())


@pytest.mark.parametrize(
    'student', [False, True], ids=['recognizer3d', 'distill_student'])
def test_kill_and_resume_equals_uninterrupted_run(tmp_path, data, student):
    """Augmentation in a DataLoader worker, no dropout: exact as is."""
    model = student_cfg(save_teacher(str(tmp_path / 'teacher.pth'))) \
        if student else recognizer_cfg()
    cfg = write_cfg(
        experiment_cfg(model, data, max_epochs=EPOCHS, milestones=(2, )),
        str(tmp_path / 'cfg.py'))
    a, b = _kill_resume_and_compare(tmp_path, cfg)
    _assert_same_training_state(a, b)
    assert 'random_state' not in b  # nothing beyond mmengine needed here
    if student:
        assert not any('teacher' in key for key in b['state_dict'])


def _main_process_random_cfg(tmp_path, data, hooks):
    """Augmentation in the main process (``num_workers=0``), dropout 0.5
    and a validation after every epoch: all draw from the main process's
    generators, which mmengine does not checkpoint."""
    model = recognizer_cfg()
    model['cls_head'] = dict(model['cls_head'], dropout_ratio=0.5)
    return write_cfg(
        experiment_cfg(
            model,
            data,
            max_epochs=EPOCHS,
            num_workers=0,
            val=True,
            hooks=hooks), str(tmp_path / 'cfg.py'))


def test_random_state_hook_makes_resume_exact(tmp_path, data):
    cfg = _main_process_random_cfg(
        tmp_path, data, hooks=[dict(type='RandomStateHook')])
    a, b = _kill_resume_and_compare(tmp_path, cfg)
    _assert_same_training_state(a, b)
    assert len(b['random_state']) == 1  # one process


def test_without_random_state_hook_resume_diverges(tmp_path, data):
    """The control: same run without the hook ends with other weights."""
    cfg = _main_process_random_cfg(tmp_path, data, hooks=[])
    a, b = _kill_resume_and_compare(tmp_path, cfg)
    assert any(not torch.equal(value, b['state_dict'][key])
               for key, value in a['state_dict'].items())
