# Copyright (c) tsdistill authors. All rights reserved.
"""The extraction benchmark on a tiny configuration, and its projection."""
import json
import os
import os.path as osp
from pathlib import Path

import pytest
import torch
from _helpers.tools import load_tool

from tsdistill.benchmarks.extraction_benchmark import (ClipSpec,
                                                       _TrafficCounter,
                                                       generate_clips,
                                                       gpu_projection,
                                                       memory_traffic)
from tsdistill.data_tools.flow_extraction import read_video

#: 2 clips of 64x40 (decord reads MJPG of width 64), 5 frames each
TINY = ClipSpec(num_clips=2, width=64, height=40, seconds=0.2, fps=25)


def test_generate_clips_size_list_and_reuse(tmp_path):
    root = str(tmp_path / 'clips')
    ann = generate_clips(root, TINY, progress=False)
    lines = Path(ann).read_text().split('\n')
    assert lines[:2] == [
        'move_left/move_left_0000.avi 0', 'move_right/move_right_0001.avi 1'
    ] and lines[2:] == ['']
    path = osp.join(root, 'move_left', 'move_left_0000.avi')
    assert read_video(path).shape == (5, 40, 64, 3)
    mtime = os.stat(path).st_mtime_ns
    # the same settings: nothing written; other settings: written again
    generate_clips(root, TINY, progress=False)
    assert os.stat(path).st_mtime_ns == mtime
    generate_clips(root, TINY._replace(seconds=0.24), progress=False)
    assert read_video(path).shape == (6, 40, 64, 3)


def test_smoke_run_prints_the_tables_and_writes_json(tmp_path, capsys):
    out = tmp_path / 'report.json'
    main = load_tool('benchmarks', 'extraction_benchmark.py').main
    report = main([
        '--work-dir',
        str(tmp_path / 'work'), '--clips', '2', '--width', '64', '--height',
        '40', '--seconds', '0.2', '--opencv-clips', '1', '--opencv-workers',
        '1', '--threads', '1', '--device', 'cpu', '--batch-sizes', '1', '2',
        '--repeats', '1', '--accuracy-pairs', '1', '--no-progress', '--out',
        str(out)
    ])
    text = capsys.readouterr().out
    # the JSON round-trips: the file holds the returned report
    assert json.loads(out.read_text()) == report
    m1, opencv = report['extraction']['m1 default'], report['extraction'][
        'opencv']
    # every clip's 4 pairs with M1, OpenCV on the first clip only
    assert (m1['videos'], m1['pairs']) == (2, 8)
    assert (opencv['videos'], opencv['pairs']) == (1, 4)
    assert opencv['extrapolated'] is True
    for row in (m1, opencv):
        assert row['seconds'] > 0 and row['videos_per_second'] > 0
    assert opencv['seconds_all_clips'] == pytest.approx(2 * opencv['seconds'])
    assert report['speedup_vs_opencv'] == pytest.approx(
        m1['videos_per_second'] / opencv['videos_per_second'])
    assert set(report['accuracy']) == {'opencv', 'm1 default'}
    assert all(0 < epe < 5 for epe in report['accuracy'].values())
    scaling = report['batch_scaling']
    assert set(scaling['ms_per_pair']) == {'1', '2'}
    assert all(v > 0 for v in scaling['ms_per_pair'].values())
    projection = report['gpu_projection']
    assert projection['videos_per_second'] > 0
    ms = projection['ms_per_pair']
    assert set(ms) == {'1', '2', '64'} and ms['1'] > ms['2'] > ms['64'] > 0
    assert report['settings']['presets'] == ['default']
    assert report['settings']['flow_cfgs'] == {'default': {}}
    # the markdown table has a row per backend, the extrapolation and the
    # projection labelled as such
    rows = [line for line in text.splitlines() if line.startswith('| ')]
    assert any(r.startswith('| M1 `TVL1OpticalFlow` default |') for r in rows)
    assert any(r.startswith('| OpenCV DualTVL1 (defaults) |') for r in rows)
    extrapolated = [r for r in rows if 'extrapolated' in r]
    assert len(extrapolated) == 1 and 'from 1 to 2 clips' in extrapolated[0]
    assert '**Projected** extraction on a V100-class GPU' in text
    assert 'projected ms/pair' in text and 'target >= 10x' in text
    for batch in ('1', '2', '64'):
        assert any(r.startswith(f'| {batch} |') for r in rows)
    # the extraction wrote real flow folders, as tools/extract_flow.py does
    flow = tmp_path / 'work' / 'flow_m1_default' / 'move_left'
    assert sorted(os.listdir(
        flow / 'move_left_0000'))[:2] == ['.flow_done.json', 'x_00001.jpg']


def test_traffic_counter_counts_bytes_and_skips_views():
    a, b = torch.ones(10, 100), torch.ones(10, 100)
    with _TrafficCounter() as counter:
        a.view(-1).t()  # views: nothing moves
        torch.add(a, b)  # 2 read, 1 written
        a.add_(b)  # in place: a and b read, a written
        b.expand(3, 10, 100).sum()  # broadcast input counts once
    assert counter.kernels == 3
    assert counter.bytes == 4000 * (3 + 3 + 1) + 4


def test_memory_traffic_scales_with_the_pixels():
    cfg = dict(num_scales=1, num_warps=1, num_iters=2)
    small = memory_traffic(16, 24, cfg)
    large = memory_traffic(32, 48, cfg)
    assert small['kernels_per_forward'] == large['kernels_per_forward'] > 10
    assert large['bytes_per_pair'] == pytest.approx(
        4 * small['bytes_per_pair'], rel=0.05)


def test_gpu_projection_arithmetic():
    traffic = dict(kernels_per_forward=1000.0, bytes_per_pair=1e9)
    projection = gpu_projection(
        traffic,
        height=10,
        width=10,
        batch_sizes=[1, 10],
        pairs_per_video=3,
        batch_pairs=2,
        io_seconds_per_video=0.5,
        gpu=dict(
            bandwidth_gbs=1000.0,
            efficiency=1.0,
            overhead_us=10.0,
            pcie_gbs=1e9))  # no transfer time
    # 1 ms of memory traffic per pair + 10 ms of overhead per forward
    assert projection['ms_per_pair']['1'] == pytest.approx(11.0)
    assert projection['ms_per_pair']['10'] == pytest.approx(2.0)
    assert projection['ms_per_pair']['2'] == pytest.approx(6.0)
    # 3 pairs in windows of 2 and 1: 2 forwards, 3 pairs, plus decoding
    assert projection['seconds_per_video'] == pytest.approx(0.5 + 0.023)
    assert projection['videos_per_second'] == pytest.approx(1 / 0.523)
    assert projection['assumptions']['bandwidth_gbs'] == 1000.0


def test_gpu_traffic_counts_the_eager_iterations():
    """The GPU runs M1's eager ops: the CPU's fused kernel must not hide
    the iterations from the projection's count."""
    from tsdistill.models.flow.fused import fused_iterate_available
    if not fused_iterate_available():
        pytest.skip('the fused kernel did not build here')
    cfg = dict(num_scales=1, num_warps=1, num_iters=4)
    counted = memory_traffic(16, 24, cfg)
    more = memory_traffic(16, 24, dict(cfg, num_iters=8))
    # each eager iteration is about 20 operations
    assert more['kernels_per_forward'] - counted['kernels_per_forward'] > 40
