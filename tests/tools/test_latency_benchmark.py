# Copyright (c) tsdistill authors. All rights reserved.
"""The latency benchmark runs end to end at tiny sizes and reports rows."""
import json
import os
import os.path as osp
import subprocess
import sys

import torch

from tsdistill.apis.latency import (ROW_NAMES, opencv_tvl1_flow, ratios,
                                    synthetic_clips)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_latency_script_produces_every_row(tmp_path):
    out = tmp_path / 'latency.json'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'benchmarks', 'latency.py'), '--frames', '4',
        '--size', '32', '--batch-sizes', '1', '2', '--train-batch', '2',
        '--warmup', '0', '--repeats', '1', '--base-channels', '8',
        '--num-classes', '3', '--devices', 'cpu', '--out',
        str(out)
    ],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    results = report['results']['cpu']
    assert set(results) == set(ROW_NAMES)
    for name in ROW_NAMES:
        batches = {'2'} if name.startswith('train') else {'1', '2'}
        assert set(results[name]) == batches, name
        assert all(v > 0 for v in results[name].values())
    assert all(v is not None and v > 0
               for v in report['ratios']['cpu'].values())
    assert report['environment']['threads'] >= 1
    for description in ('two-stream, OpenCV DualTVL1 flow',
                        'distilled student M3 at test time'):
        assert description in proc.stdout


def test_synthetic_clips_move_and_opencv_flow_sees_it():
    clips = synthetic_clips(1, 3, 32, seed=3)
    assert clips.shape == (1, 3, 3, 32, 32)
    assert 0 <= clips.min() and clips.max() <= 255
    flow = opencv_tvl1_flow(clips)
    assert flow.shape == (1, 2, 2, 32, 32)
    assert torch.isfinite(flow).all()
    # a smooth translation: the median flow is one velocity, not zero
    assert flow[..., 8:-8, 8:-8].abs().median() > 0.1


def test_ratios_use_the_smallest_batch():
    results = dict(
        rgb_plain={
            1: 10.0,
            8: 5.0
        },
        student={1: 10.5},
        two_stream={1: 30.0},
        two_stream_opencv={1: 70.0},
        train_plain={2: 1.0},
        train_distill={2: 1.5})
    got = ratios(results)
    assert got['student / plain Recognizer3D'] == 1.05
    assert got['two-stream OpenCV / student'] == 70.0 / 10.5
    assert got['two-stream OpenCV / two-stream built-in'] == 70.0 / 30.0
    assert got['distill train step / plain train step'] == 1.5
