# Copyright (c) tsdistill authors. All rights reserved.
"""The command lines ``tools/{dist,slurm}_{train,test}.sh`` build.

No slurm here: a fake ``srun`` on ``PATH`` records its arguments and
environment. The torchrun scripts are checked the same way with a fake
interpreter (``PYTHON``); ``tests/engine/test_ddp.py`` runs them for real.
Every script is started from an unrelated directory.
"""
import os
import os.path as osp
import subprocess

import pytest
from _helpers.launch import REPO, TOOLS
from _helpers.tools import tool_path

RECORDER = '''#!/usr/bin/env bash
{{ printf '%s\\n' "$@"
  echo "PYTHONPATH=$PYTHONPATH"
  echo "MASTER_PORT=${{MASTER_PORT:-}}"; }} > {record}
'''


@pytest.fixture
def fake(tmp_path):
    """A fake ``srun`` on PATH and a fake ``PYTHON``; returns a runner."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    record = tmp_path / 'record.txt'
    for name in ('srun', 'python'):
        exe = bin_dir / name
        exe.write_text(RECORDER.format(record=record))
        exe.chmod(0o755)
    cwd = tmp_path / 'elsewhere'
    cwd.mkdir()

    def launch(script, *args, **env):
        full_env = dict(os.environ, PATH=f'{bin_dir}:{os.environ["PATH"]}')
        full_env.pop('PYTHONPATH', None)
        full_env.pop('MASTER_PORT', None)
        full_env.update(env)
        proc = subprocess.run(['bash', osp.join(TOOLS, script), *args],
                              cwd=str(cwd),
                              env=full_env,
                              capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr
        lines = record.read_text().splitlines()
        record.unlink()
        return lines[:-2], dict(line.split('=', 1) for line in lines[-2:])

    launch.python = str(bin_dir / 'python')
    return launch


SLURM_ENV = dict(
    GPUS='16',
    GPUS_PER_NODE='8',
    CPUS_PER_TASK='4',
    SRUN_ARGS='--qos=high --time=1:00:00',
    PYTHON='python3')
SRUN_OPTIONS = [
    '-p', 'gpu', '--job-name=distill', '--gres=gpu:8', '--ntasks=16',
    '--ntasks-per-node=8', '--cpus-per-task=4', '--kill-on-bad-exit=1',
    '--qos=high', '--time=1:00:00'
]


def test_slurm_train_command_line(fake):
    args, env = fake('slurm_train.sh', 'gpu', 'distill', 'configs/x.py',
                     '--work-dir', 'w d', '--resume', **SLURM_ENV)
    assert args[:10] == SRUN_OPTIONS
    assert args[10:] == [
        'python3', '-u',
        tool_path('train.py'), 'configs/x.py', '--launcher=slurm',
        '--work-dir', 'w d', '--resume'
    ]
    # the plugin imports on every task; the tasks share one port
    assert env['PYTHONPATH'] == REPO
    assert 12000 <= int(env['MASTER_PORT']) < 32000


def test_slurm_test_command_line(fake):
    args, env = fake(
        'slurm_test.sh',
        'gpu',
        'distill',
        'configs/x.py',
        'ckpt.pth',
        '--dump',
        'r.pkl',
        MASTER_PORT='23456',
        PYTHONPATH='/other',
        **SLURM_ENV)
    assert args[:10] == SRUN_OPTIONS
    assert args[10:] == [
        'python3', '-u',
        tool_path('test.py'), 'configs/x.py', 'ckpt.pth', '--launcher=slurm',
        '--dump', 'r.pkl'
    ]
    assert env == dict(PYTHONPATH=f'{REPO}:/other', MASTER_PORT='23456')


def test_slurm_defaults_as_mmaction2(fake):
    args, _ = fake('slurm_train.sh', 'p', 'j', 'c.py', PYTHON='py')
    assert args == [
        '-p', 'p', '--job-name=j', '--gres=gpu:8', '--ntasks=8',
        '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        'py', '-u',
        tool_path('train.py'), 'c.py', '--launcher=slurm'
    ]


def test_dist_train_command_line(fake):
    args, env = fake(
        'dist_train.sh',
        'configs/x.py',
        '4',
        '--work-dir',
        'w d',
        '--cfg-options',
        'env_cfg.dist_cfg.backend=gloo',
        PYTHON=fake.python,
        NNODES='2',
        NODE_RANK='1',
        PORT='29999',
        MASTER_ADDR='10.0.0.1')
    assert args == [
        '-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
        '--master_addr=10.0.0.1', '--nproc_per_node=4', '--master_port=29999',
        tool_path('train.py'), 'configs/x.py', '--launcher', 'pytorch',
        '--work-dir', 'w d', '--cfg-options', 'env_cfg.dist_cfg.backend=gloo'
    ]
    assert env['PYTHONPATH'] == REPO


def test_dist_test_command_line_defaults(fake):
    args, env = fake(
        'dist_test.sh', 'c.py', 'ckpt.pth', '2', PYTHON=fake.python)
    assert args == [
        '-m', 'torch.distributed.run', '--nnodes=1', '--node_rank=0',
        '--master_addr=127.0.0.1', '--nproc_per_node=2', '--master_port=29500',
        tool_path('test.py'), 'c.py', 'ckpt.pth', '--launcher', 'pytorch'
    ]
    assert env['PYTHONPATH'] == REPO


@pytest.mark.parametrize('script,args', [
    ('dist_train.sh', ['c.py']),
    ('dist_test.sh', ['c.py', '2']),
    ('slurm_train.sh', ['p', 'j']),
    ('slurm_test.sh', ['p', 'j', 'c.py']),
])
def test_missing_arguments_print_usage(script, args, tmp_path):
    proc = subprocess.run(['bash', osp.join(TOOLS, script), *args],
                          cwd=str(tmp_path),
                          capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith('usage: ')
