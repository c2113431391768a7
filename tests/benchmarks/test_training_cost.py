# Copyright (c) tsdistill authors. All rights reserved.
"""The training-cost benchmark: real demo training through the Runner."""
import json

import pytest

from tsdistill.benchmarks.training_cost import training_cost_benchmark


def test_training_cost_times_every_counted_iteration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # data/ goes here
    report = training_cost_benchmark(
        epochs=2, eager=False, videos_per_class=3, out='cost.json')
    rows = report['rows']
    assert set(rows) == {'rgb', 'teacher'}
    # 3 videos per class: 2 train videos x 8 classes = one batch of 16 per
    # epoch, and the first epoch is not counted
    with open('data/synthetic_motion/annotations/'
              'hmdb51_train_split_1_videos.txt') as f:
        train_videos = len(f.read().split('\n')) - 1
    iterations = -(-train_videos // 16)
    for row in rows.values():
        assert row['iterations'] == iterations
        assert 0 < row['median_s'] < 60
    assert report['ratios']['teacher / rgb'] == pytest.approx(
        rows['teacher']['median_s'] / rows['rgb']['median_s'])
    with open('cost.json') as f:
        assert json.load(f) == json.loads(json.dumps(report))


def test_training_cost_needs_an_epoch_to_count():
    with pytest.raises(ValueError, match='epochs must be >= 2'):
        training_cost_benchmark(epochs=1)
