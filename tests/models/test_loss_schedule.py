# Copyright (c) tsdistill authors. All rights reserved.
"""LossSchedule: CE warm-up / ramp and lambda decay read off MessageHub."""
import re

import pytest
from _helpers.recognizers import (build, hub_without_position, student_cfg,
                                  teacher_cfg)
from _helpers.videos import tiny_video_loader
from mmengine.runner import Runner, save_checkpoint

from tsdistill.models.recognizers.loss_schedule import (LossSchedule, Progress,
                                                        training_progress)


@pytest.fixture
def hub():
    """The current MessageHub without any training position."""
    with hub_without_position() as hub:
        yield hub


def at(hub, **info):
    """Set ``info`` as a Runner's RuntimeInfoHook would; read it back."""
    for key, value in info.items():
        hub.update_info(key, value)
    return training_progress(local_iter=99)


def test_progress_from_message_hub(hub):
    # no Runner: the caller's counter stands in for iter, epoch 0
    assert training_progress(local_iter=7) == Progress(7, 0, None, None)
    assert at(
        hub, iter=12, epoch=1, max_iters=40,
        max_epochs=4) == Progress(12, 1, 40, 4)


def test_distill_only_warmup_in_epochs(hub):
    schedule = LossSchedule(distill_only=2)  # by_epoch=True by default
    # 10 iterations per epoch: the first 20 iterations have CE weight 0
    weights = [
        schedule.weights(
            at(hub, iter=i, epoch=i // 10, max_iters=40, max_epochs=4))
        for i in (0, 19, 20, 39)
    ]
    assert weights == [(0.0, 1.0), (0.0, 1.0), (1.0, 1.0), (1.0, 1.0)]
    # without the length of training, the whole epoch counts
    hub.runtime_info.pop('max_iters')
    assert schedule.cls_weight(at(hub, iter=25, epoch=1)) == 0.0
    assert schedule.cls_weight(at(hub, iter=25, epoch=2)) == 1.0


def test_distill_only_warmup_in_iterations(hub):
    schedule = LossSchedule(by_epoch=False, distill_only=3)
    got = [schedule.cls_weight(at(hub, iter=i, epoch=0)) for i in range(5)]
    assert got == [0.0, 0.0, 0.0, 1.0, 1.0]
    # no Runner: the fallback counter
    hub.runtime_info.pop('iter')
    assert schedule.cls_weight(training_progress(local_iter=2)) == 0.0
    assert schedule.cls_weight(training_progress(local_iter=3)) == 1.0


def test_ce_ramp_after_warmup(hub):
    # 1 epoch CE-free, then CE weight 0 -> 1 over 4 epochs (10 iters each)
    schedule = LossSchedule(distill_only=1, ce_ramp=4)
    expected = {
        0: 0.0,
        9: 0.0,
        10: 0.0,
        15: 0.125,
        30: 0.5,
        49: 0.975,
        50: 1.0,
        99: 1.0
    }
    for it, weight in expected.items():
        progress = at(
            hub, iter=it, epoch=it // 10, max_iters=100, max_epochs=10)
        assert schedule.cls_weight(progress) == pytest.approx(weight), it
    # in iterations, without a warm-up
    ramp = LossSchedule(by_epoch=False, ce_ramp=4)
    assert [ramp.cls_weight(at(hub, iter=i))
            for i in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]


def test_lambda_decay_over_training(hub):
    schedule = LossSchedule(distill_end_factor=0.1)
    for it, factor in {0: 1.0, 50: 0.55, 100: 0.1, 120: 0.1}.items():
        progress = at(
            hub, iter=it, epoch=it // 10, max_iters=100, max_epochs=10)
        assert schedule.distill_factor(progress) == pytest.approx(factor)
        # CE untouched
        assert schedule.cls_weight(progress) == 1.0
    # from epochs when only max_epochs is known
    hub.runtime_info.pop('max_iters')
    assert schedule.distill_factor(at(hub, epoch=5)) == pytest.approx(0.55)
    # the length of training is needed
    hub.runtime_info.pop('max_epochs')
    with pytest.raises(RuntimeError, match='max_iters'):
        schedule.distill_factor(at(hub, iter=3))
    # no decay asked: no length needed
    assert LossSchedule().weights(at(hub, iter=3)) == (1.0, 1.0)


def test_bad_schedules():
    with pytest.raises(ValueError, match='>= 0'):
        LossSchedule(distill_only=-1)
    with pytest.raises(ValueError, match='distill_end_factor'):
        LossSchedule(distill_end_factor=-0.5)
    assert 'distill_only=3' in repr(LossSchedule(distill_only=3))


@pytest.mark.parametrize('name',
                         ['distill_only', 'ce_ramp', 'distill_end_factor'])
@pytest.mark.parametrize('value, error, message', [
    (-1, ValueError, 'must be >= 0, got -1'),
    (float('nan'), ValueError, 'must be a finite number, got nan'),
    (float('inf'), ValueError, 'must be a finite number, got inf'),
    (True, TypeError, 'must be a number, got True'),
    ('10', TypeError, "must be a number, got '10'"),
])
def test_numbers_are_checked(name, value, error, message):
    with pytest.raises(error, match=f'{name} {message}'):
        LossSchedule(**{name: value})


@pytest.mark.parametrize('value', ['no', 'False', 0, 1, None])
def test_by_epoch_must_be_a_bool(value):
    """``by_epoch='no'`` is not read as True (a non-empty string)."""
    with pytest.raises(
            TypeError, match=f'by_epoch must be True or False, got {value!r}'):
        LossSchedule(by_epoch=value, distill_only=2)
    assert LossSchedule(by_epoch=False).by_epoch is False


def test_warmup_as_long_as_training_is_refused(hub):
    """``distill_only`` >= the length: CE weight 0 throughout."""
    schedule = LossSchedule(distill_only=10)
    with pytest.raises(
            ValueError,
            match='distill_only=10 epochs >= max_epochs=10 .*never be '
            'trained with cross-entropy'):
        schedule.weights(
            at(hub, iter=0, epoch=0, max_iters=100, max_epochs=10))
    assert schedule.weights(
        at(hub, iter=0, epoch=0, max_iters=110, max_epochs=11)) == (0.0, 1.0)
    by_iter = LossSchedule(by_epoch=False, distill_only=40)
    with pytest.raises(
            ValueError, match='distill_only=40 iterations >= max_iters=40'):
        by_iter.weights(at(hub, iter=0, epoch=0, max_iters=40, max_epochs=4))
    assert by_iter.weights(at(hub, iter=0, max_iters=41)) == (0.0, 1.0)
    # the length unknown (no Runner): nothing to check against
    hub.runtime_info.pop('max_iters')
    hub.runtime_info.pop('max_epochs')
    assert schedule.weights(at(hub, iter=3, epoch=0)) == (0.0, 1.0)


@pytest.fixture
def teacher_ckpt(tmp_path):
    path = str(tmp_path / 'teacher.pth')
    save_checkpoint(dict(state_dict=build(teacher_cfg()).state_dict()), path)
    return path


@pytest.mark.parametrize('value', [10, [('distill_only', 10)], 'epochs'])
def test_recognizer_needs_a_dict(teacher_ckpt, value):
    with pytest.raises(
            TypeError,
            match='loss_schedule must be a dict of LossSchedule arguments '
            f'.*got {re.escape(repr(value))}'):
        build(student_cfg(teacher_ckpt, loss_schedule=value))


def test_runner_refuses_a_warmup_as_long_as_training(teacher_ckpt, hub,
                                                     tiny_video_list,
                                                     tmp_path):
    """The Runner stops at the first iteration."""
    root, ann = tiny_video_list
    runner = Runner(
        model=student_cfg(teacher_ckpt, loss_schedule=dict(distill_only=2)),
        work_dir=str(tmp_path / 'work'),
        train_dataloader=tiny_video_loader(root, ann, test_mode=False),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        default_scope='mmaction')
    with pytest.raises(
            ValueError, match='distill_only=2 epochs >= max_epochs=2'):
        runner.train()
    assert runner.iter == 0  # the first iteration did not complete
