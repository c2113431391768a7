# Copyright (c) tsdistill authors. All rights reserved.
"""PerClassAccuracy: per-class and per-attribute top-1 on known labels."""
import pytest
import torch
from mmaction.registry import METRICS

import tsdistill  # noqa: F401
from tsdistill.jobs.table1 import class_attributes

CLASSES = ['blue_move_left', 'blue_move_up', 'red_move_left', 'red_move_up']


def _sample(label: int, pred: int) -> dict:
    score = torch.zeros(len(CLASSES))
    score[pred] = 1.0
    return dict(gt_label=torch.tensor([label]), pred_score=score)


def _evaluate(pairs, **kwargs) -> dict:
    metric = METRICS.build(
        dict(type='PerClassAccuracy', classes=CLASSES, **kwargs))
    metric.dataset_meta = None
    metric.process(None, [_sample(t, p) for t, p in pairs])
    return metric.evaluate(len(pairs))


def test_per_class_and_per_attribute():
    pairs = [
        (0, 0),  # right
        (0, 1),  # colour right, motion wrong
        (1, 3),  # motion right, colour wrong
        (2, 2),  # right
        (3, 0),  # both wrong
    ]
    out = _evaluate(pairs, attributes=class_attributes(CLASSES))
    assert out['per_class/blue_move_left'] == pytest.approx(0.5)
    assert out['per_class/blue_move_up'] == 0.0
    assert out['per_class/red_move_left'] == 1.0
    assert out['per_class/red_move_up'] == 0.0
    # colour right for samples 0, 1, 3 of 5; motion right for 0, 2, 3
    assert out['per_class/attribute_colour'] == pytest.approx(3 / 5)
    assert out['per_class/attribute_motion'] == pytest.approx(3 / 5)


def test_classes_without_test_samples_are_left_out():
    out = _evaluate([(0, 0), (0, 2)])
    assert set(out) == {'per_class/blue_move_left'}


def test_class_attributes_only_for_mixed_cue_names():
    assert class_attributes(CLASSES) == dict(
        colour=['blue', 'blue', 'red', 'red'],
        motion=['move_left', 'move_up', 'move_left', 'move_up'])
    assert class_attributes(['move_left', 'zoom_in']) == {}
    assert class_attributes(['brush_hair', 'red_move_up']) == {}


def test_bad_attributes_are_named():
    with pytest.raises(ValueError, match="'colour' has 2 values for 4"):
        METRICS.build(
            dict(
                type='PerClassAccuracy',
                classes=CLASSES,
                attributes=dict(colour=['a', 'b'])))
