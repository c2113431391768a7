# Copyright (c) tsdistill authors. All rights reserved.
"""The demo's budget in clips: epoch counts scaled to a dataset's size."""
import pytest
from mmengine.config import Config

from tsdistill.data_tools.hmdb51_annotations import annotate_data
from tsdistill.data_tools.synthetic_motion import prepare_embedded_data
from tsdistill.jobs.training_budget import (EMBEDDED_TRAIN_VIDEOS,
                                            clips_factor, scale_epochs)
from tsdistill.utils.paths import shipped_path

STUDENT = 'demo/r3d18slim_1xb8-16x1x1-120e_synthetic-motion-distill.py'
RGB = 'demo/r3d18slim_1xb16-16x1x1-120e_synthetic-motion-rgb.py'


def load(config):
    return Config.fromfile(shipped_path('configs', config))


def test_embedded_train_videos_are_the_main_job_data(tmp_path):
    root = str(tmp_path / 'binding')
    prepare_embedded_data(root, 40, 0, 'binding')
    summary = annotate_data(root, (1, 2, 3))
    for split in (1, 2, 3):
        assert summary.counts[(split, 'train')] == EMBEDDED_TRAIN_VIDEOS


def test_the_student_sees_the_embedded_data_clips_on_smaller_data():
    cfg = load(STUDENT)
    epochs = cfg.train_cfg.max_epochs
    # the 64-px validation set: 144 training videos
    changed = scale_epochs(cfg, clips_factor(144))
    assert cfg.train_cfg.max_epochs * 144 == epochs * EMBEDDED_TRAIN_VIDEOS
    assert changed['train_cfg.max_epochs'] == (epochs,
                                               cfg.train_cfg.max_epochs)
    warmup, cosine = cfg.param_scheduler
    assert warmup.begin == 0 and warmup.end == cosine.begin == 3
    assert cosine.end == cfg.train_cfg.max_epochs
    assert cosine.T_max == cosine.end - cosine.begin
    assert cfg.train_cfg.val_interval == cfg.train_cfg.max_epochs // 2
    assert cfg.default_hooks.checkpoint.interval == \
        cfg.train_cfg.val_interval
    assert cfg.model.loss_schedule.distill_only == 15
    assert 'param_scheduler.0.begin' not in changed  # 0 stays 0


def test_the_embedded_data_keeps_its_schedule():
    cfg = load(RGB)
    before = cfg.to_dict()
    assert scale_epochs(cfg, clips_factor(EMBEDDED_TRAIN_VIDEOS)) == {}
    assert cfg.to_dict() == before


def test_scaling_refuses_what_it_cannot_scale():
    with pytest.raises(ValueError, match='must be > 0'):
        scale_epochs(load(RGB), 0)
    with pytest.raises(ValueError, match='no training videos'):
        clips_factor(0)
    cfg = load(RGB)
    cfg.param_scheduler = [
        dict(type='MultiStepLR', by_epoch=True, milestones=[40, 80])
    ]
    with pytest.raises(ValueError, match="'milestones'"):
        scale_epochs(cfg, 2)
    cfg = load(RGB)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000)
    with pytest.raises(ValueError, match='epoch-based'):
        scale_epochs(cfg, 2)
    # iteration-based parts are left alone
    cfg = load(RGB)
    cfg.param_scheduler[1].by_epoch = False
    changed = scale_epochs(cfg, 2)
    assert not any(k.startswith('param_scheduler.1') for k in changed)
