# Copyright (c) tsdistill authors. All rights reserved.
"""The latency benchmark runs end to end at tiny sizes and reports rows."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from _helpers.tools import REPO

from tsdistill.benchmarks.latency import (ROW_NAMES, LatencyBenchmark,
                                          interleaved_times, opencv_tvl1_flow,
                                          ratios, synthetic_clips)


def test_latency_script_produces_every_row(tmp_path):
    out = tmp_path / 'latency.json'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'benchmarks',
                 'latency.py'), '--frames', '4', '--size', '32',
        '--batch-sizes', '1', '2', '--train-batch', '2', '--warmup', '0',
        '--repeats', '2', '--repeats-larger', '1', '--base-channels', '8',
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
    # every timed call is kept, one per interleaved round: 2 rounds at the
    # smallest batch and for training, 1 at the larger batch
    samples = report['samples']['cpu']
    for name in ROW_NAMES:
        for batch, times in samples[name].items():
            assert len(times) == (1 if batch == '2'
                                  and not name.startswith('train') else 2)
    # the classic row's OpenCV share, per clip and per frame pair (3 pairs)
    for batch in ('1', '2'):
        share = report['opencv_flow']['cpu'][batch]
        assert 0 < share['ms_per_clip'] < results['two_stream_opencv'][batch]
        assert abs(share['ms_per_pair'] * 3 - share['ms_per_clip']) < 1e-6
    assert report['gflops']['cpu']['rgb'] > report['gflops']['cpu']['flow']
    assert '1 FLOP per multiply-add' in report['flops_count']
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
        teacher={
            1: 12.0,
            8: 4.0
        },
        two_stream={1: 30.0},
        two_stream_opencv={1: 70.0},
        train_plain={2: 1.0},
        train_distill={2: 1.5})
    got = ratios(results)
    assert got['student / plain Recognizer3D'] == 1.05
    assert got['teacher / plain Recognizer3D'] == 1.2
    assert got['two-stream OpenCV / student'] == 70.0 / 10.5
    assert got['two-stream OpenCV / two-stream built-in'] == 70.0 / 30.0
    assert got['distill train step / plain train step'] == 1.5


def test_interleaved_rounds_call_every_row_once_per_round():
    calls = []
    fns = {name: (lambda name=name: calls.append(name)) for name in 'abc'}
    times = interleaved_times(fns, warmup=1, repeats=2)
    # warm-up of each row, then rounds a, b, c / b, c, a (rotated)
    assert calls == list('abc') + list('abc') + list('bca')
    assert {name: len(t) for name, t in times.items()} == dict(a=2, b=2, c=2)
    assert all(t >= 0 for ts in times.values() for t in ts)


def test_backbone_overrides_reach_every_r3d18():
    """torchvision's layout (no pooling) costs more than mmaction2's."""
    tiny = dict(frames=8, size=32, num_classes=3)
    slim = dict(base_channels=8)
    pooled = LatencyBenchmark(**tiny, backbone=slim)
    unpooled = LatencyBenchmark(
        **tiny,
        backbone=dict(
            slim,
            with_pool1=False,
            with_pool2=False,
            temporal_strides=(1, 2, 2, 2)))
    for bench in (pooled, unpooled):
        assert bench.rgb.backbone.base_channels == 8
        assert bench.student.backbone.with_pool1 == (bench is pooled)
        assert bench.two_stream.flow_stream.backbone.with_pool1 == (
            bench is pooled)
    flops, more = pooled.gflops(), unpooled.gflops()
    assert more['rgb'] > 2 * flops['rgb'] and more['flow'] > 2 * flops['flow']


def test_gflops_count_one_per_multiply_add():
    """The model zoo's unit: mmengine's count, a multiply-add is 1 FLOP."""
    from mmengine.analysis import FlopAnalyzer, get_model_complexity_info
    from torch.utils.flop_counter import FlopCounterMode
    bench = LatencyBenchmark(
        frames=5, size=32, num_classes=3, backbone=dict(base_channels=8))
    flops = bench.gflops()
    for name, model, shape in (('rgb', bench.rgb, (1, 3, 5, 32, 32)),
                               ('flow', bench.teacher, (1, 2, 4, 32, 32))):
        clip = torch.zeros(shape)
        info = get_model_complexity_info(
            model.backbone, inputs=(clip, ), show_table=False, show_arch=False)
        assert flops[name] == pytest.approx(info['flops'] / 1e9)
        # its convolutions: half of torch's count, which counts 2 FLOPs
        # per multiply-add
        conv = FlopAnalyzer(model.backbone, (clip, )).by_operator()['conv']
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model.backbone(clip)
        assert conv == counter.get_total_flops() / 2
        assert 0 < flops[name] - conv / 1e9 < 0.01 * flops[name]
