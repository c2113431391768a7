# Copyright (c) tsdistill authors. All rights reserved.
"""End to end with mmengine's Runner: train the student, deploy it plain.

A short distillation run writes a checkpoint; mmaction2's own Recognizer3D
config (no tsdistill type in it) loads it with ``strict=True`` and predicts
exactly what the student predicts; its test run writes the metrics json
that ``compare_results`` reads.
"""
import copy
import glob
import os.path as osp

import torch
from _helpers.recognizers import build, rgb_cfg, student_cfg, teacher_cfg
from _helpers.videos import tiny_video_loader
from mmengine.runner import Runner, save_checkpoint

from tsdistill.jobs.results_table import format_table, load_run


def test_runner_student_checkpoint_into_plain_recognizer(
        tiny_video_list, tmp_path):
    root, ann = tiny_video_list
    teacher = build(teacher_cfg(), seed=1)
    teacher_ckpt = str(tmp_path / 'teacher.pth')
    save_checkpoint(dict(state_dict=teacher.state_dict()), teacher_ckpt)
    teacher_state = copy.deepcopy(teacher.state_dict())

    work_dir = str(tmp_path / 'distill')
    runner = Runner(
        model=student_cfg(
            teacher_ckpt, loss_schedule=dict(by_epoch=False, distill_only=1)),
        work_dir=work_dir,
        train_dataloader=tiny_video_loader(root, ann, test_mode=False),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=0),
        optim_wrapper=dict(
            optimizer=dict(
                type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
            clip_grad=dict(max_norm=40)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        default_scope='mmaction')
    runner.train()
    student = runner.model
    assert not student.teacher.training
    for key, value in student.teacher.state_dict().items():
        assert torch.equal(value, teacher_state[key]), key
    ckpt = osp.join(work_dir, 'epoch_2.pth')
    saved = torch.load(ckpt)['state_dict']
    assert not any(k.startswith(('teacher', 'loss_distill')) for k in saved)

    # mmaction2-only config, strict load, same predictions
    plain = build(rgb_cfg(), seed=5)
    plain.load_state_dict(saved, strict=True)
    plain.eval()
    student.eval()
    runner_test = Runner(
        model=rgb_cfg(),
        work_dir=str(tmp_path / 'plain'),
        load_from=ckpt,
        test_dataloader=tiny_video_loader(root, ann, test_mode=True),
        test_evaluator=dict(type='AccMetric'),
        test_cfg=dict(type='TestLoop'),
        default_scope='mmaction')
    metrics = runner_test.test()
    data = next(iter(runner_test.test_dataloader))
    ours = student.test_step(copy.deepcopy(data))
    theirs = runner_test.model.test_step(copy.deepcopy(data))
    again = plain.test_step(copy.deepcopy(data))
    for a, b, c in zip(ours, theirs, again):
        assert torch.equal(a.pred_score, b.pred_score)
        assert torch.equal(a.pred_score, c.pred_score)

    # the metrics json of the test run feeds compare_results
    jsons = glob.glob(str(tmp_path / 'plain' / '*' / '*.json'))
    assert len(jsons) == 1
    run = load_run('distill', str(tmp_path / 'plain'))
    assert abs(run.top1 - 100 * metrics['acc/top1']) < 1e-6
    assert run.ms_per_clip is not None and run.ms_per_clip > 0
    table = format_table([run], [dict(key='distill', method='x', top1=54.5)])
    assert '| distill |' in table and '54.5' in table
