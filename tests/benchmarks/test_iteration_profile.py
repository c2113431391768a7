# Copyright (c) tsdistill authors. All rights reserved.
"""The iteration profile: the main job's rows through the Runner."""
import json

import pytest

from tsdistill.benchmarks.iteration_profile import PARTS, iteration_parts
from tsdistill.benchmarks.iteration_profile import \
    iteration_profile_benchmark as profile


def test_profile_parts_add_up_to_each_row_iteration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # data/ goes here
    report = profile(
        epochs=2, videos_per_class=3, threads=1, out='profile.json')
    rows = report['rows']
    assert list(rows) == ['rgb', 'teacher', 'student']
    with open('data/synthetic_binding/annotations/'
              'hmdb51_train_split_1_videos.txt') as f:
        train_videos = len(f.read().split('\n')) - 1
    # the first epoch is not counted
    assert rows['rgb']['iterations'] == -(-train_videos // 16)
    assert rows['student']['iterations'] == -(-train_videos // 8)
    for name, row in rows.items():
        parts = row['parts']
        assert list(parts) == list(PARTS)
        total = sum(p['mean_ms'] for p in parts.values())
        assert total == pytest.approx(row['mean_ms'], rel=1e-9)
        assert sum(p['share'] for p in parts.values()) == pytest.approx(1)
        for part in ('data', 'forward', 'backward', 'optimizer step'):
            assert parts[part]['mean_ms'] > 0, (name, part)
    # only the models with M1 compute flow; only the student has hints
    assert rows['rgb']['parts']['M1 flow']['mean_ms'] == 0
    assert rows['teacher']['parts']['M1 flow']['mean_ms'] > 0
    assert rows['teacher']['parts']['teacher M2']['mean_ms'] == 0
    for part in ('M1 flow', 'teacher M2', 'loss terms'):
        assert rows['student']['parts'][part]['mean_ms'] > 0, part
    assert '| teacher M2 |' in report['table']
    with open('profile.json') as f:
        assert json.load(f) == json.loads(json.dumps(report))


def test_parts_of_a_student_iteration():
    record = {
        'data': 1.0,
        'preprocess': 0.5,
        'loss': 10.0,
        'M1 flow': 2.0,
        'teacher': 5.0,
        'student': 4.0,
        'backward': 6.0,
        'step': 1.5,
        'zero_grad': 0.25,
        'train_step': 19.0,
        'iteration': 21.0
    }
    parts = iteration_parts(record)
    assert parts['teacher M2'] == 3.0
    assert parts['forward'] == 4.0
    assert parts['loss terms'] == 1.0
    assert parts['other in train_step'] == 0.75
    assert parts['hooks and logging'] == 1.0
    assert sum(parts.values()) == pytest.approx(record['iteration'])


def test_profile_needs_an_epoch_to_count_and_known_rows():
    with pytest.raises(ValueError, match='epochs must be >= 2'):
        profile(epochs=1)
    with pytest.raises(ValueError, match="unknown rows \\['flow'\\]"):
        profile(rows=['flow'])


def test_contiguous_cfg_drops_the_channels_last_hook_only():
    from mmengine.config import Config

    from tsdistill.benchmarks.iteration_profile import CONFIGS, contiguous_cfg
    from tsdistill.utils.paths import shipped_path
    cfg = Config.fromfile(shipped_path('configs', CONFIGS['rgb']))
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert 'ChannelsLastHook' in hooks
    contiguous = contiguous_cfg(cfg)
    assert [h['type'] for h in contiguous.custom_hooks
            ] == [h for h in hooks if h != 'ChannelsLastHook']
    assert [h['type'] for h in cfg.custom_hooks] == hooks  # unchanged
    with pytest.raises(ValueError, match='lists no ChannelsLastHook'):
        contiguous_cfg(contiguous)


def test_profile_runs_a_row_contiguous_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = profile(
        epochs=2,
        rows=['rgb'],
        videos_per_class=3,
        threads=1,
        contiguous_too=True)
    assert list(report['rows']) == ['rgb', 'rgb, contiguous']
    assert report['settings']['contiguous_too'] is True
    assert '| part | rgb ms (%) | rgb, contiguous ms (%) |' in report['table']
