# Copyright (c) tsdistill authors. All rights reserved.
"""The main job end to end on a tiny embedded dataset (1-2 epochs)."""
import json
import os.path as osp

import pytest
from _helpers.tools import load_tool

from tsdistill.analysis.hint_diagnosis import hint_diagnosis
from tsdistill.jobs.table1 import (QUICK_BANNER, TABLE1_ROWS, Table1Result,
                                   mean_std, quick_check_options,
                                   run_quick_check, run_table1, summarize)

#: the quick check's schedule at 2 epochs, without dataloader workers
TINY = dict(
    quick_check_options(2), **{
        f'{loader}_dataloader.{key}': value
        for loader in ('train', 'val', 'test')
        for key, value in (('num_workers', 0), ('persistent_workers', False))
    })

#: M3's first stage without CE shorter than TINY's 2 epochs
TINY_ROWS = {'distill': {'model.loss_schedule.distill_only': 1}}


@pytest.mark.parametrize('argv,mode', [([], 'binding'),
                                       (['--mode', 'motion'], 'motion')])
def test_quick_check_runs_on_the_mode_of_the_main_job(argv, mode, monkeypatch):
    """``run_table1.py --quick`` slices the data of ``--mode``, by default
    the main job's binding data, into its own folder."""
    import tsdistill.jobs.table1 as job
    calls = []
    monkeypatch.setattr(
        job, 'prepare_embedded_data',
        lambda root, videos, seed, mode: calls.append((root, videos, mode)))
    monkeypatch.setattr(
        job, 'run_table1', lambda root, work_dir, **kwargs: calls.append(
            (root, work_dir, kwargs['table_name'])))
    load_tool('run_table1.py').main(['--quick', '--no-visualize'] + argv)
    root = f'data/synthetic_{mode}_quick'
    assert calls == [(root, 8, mode), (root, 'work_dirs/quick', 'quick_check')]


def test_quick_check_writes_every_row(tmp_path, monkeypatch):
    """The quick check (``run_table1.py --quick``) on a smaller slice."""
    monkeypatch.chdir(tmp_path)  # data/ and work_dirs/ go here
    results = run_quick_check(
        work_dir='work',
        data_root='data/synthetic_mixed',
        videos_per_class=3,
        epochs=2,
        mode='mixed',
        cfg_options=TINY)
    assert [r.key
            for r in results] == [r.key for r in TABLE1_ROWS if r.default]
    banner = QUICK_BANNER.format(videos=3, epochs=2)
    assert open('work/quick_check.md').read().startswith(banner)
    assert json.loads(open('work/quick_check.json').read())['note'] == banner
    for result in results:
        assert 0 <= result.top1 <= 100
        assert 0 <= result.mean_class_acc <= 100
        assert result.ms_per_clip > 0
    # the mixed-cue mode, prepared with the HMDB51 tool
    with open('data/synthetic_mixed/annotations/classes.txt') as f:
        classes = f.read().split()
    assert len(classes) == 8 and classes[0] == 'blue_move_down'
    for result in results:
        # per class and per cue, consistent with AccMetric's numbers
        per_class = result.per_class
        assert set(per_class) == set(classes) | {
            'attribute_colour', 'attribute_motion'
        }
        assert sum(per_class[c] for c in classes) / 8 == pytest.approx(
            result.mean_class_acc, abs=1e-6)
        # a right class is a right colour and a right motion
        assert result.top1 <= min(per_class['attribute_colour'],
                                  per_class['attribute_motion']) + 1e-6
    table = json.loads(open('work/quick_check.json').read())
    assert len(table['rows']) == 4
    assert 'Video-level accuracy' in table['protocol']
    markdown = open('work/quick_check.md').read()
    assert 'distilled student (M3)' in markdown
    assert '| **colour right** (any class) |' in markdown
    assert osp.getsize('work/flow_visualization.png') > 0
    assert osp.getsize('work/quick_check.png') > 0
    assert osp.getsize('work/quick_check_training_curves.png') > 0
    # the student was trained against the teacher row's checkpoint
    assert osp.isfile(osp.join(results[1].work_dir, 'epoch_2.pth'))
    # tools/analysis/hint_diagnosis.py on the trained student: one row per
    # hint of the default term (stages 1-3), over the training clips
    student = next(r for r in results if r.key == 'distill')
    report = hint_diagnosis(student.work_dir)
    assert list(report) == [f'distill_fitnets_layer{k}' for k in (1, 2, 3)]
    for row in report.values():
        assert row['clips'] == report['distill_fitnets_layer1']['clips'] > 0
        assert row['mean'] > row['class_mean'] > 0
        assert row['student'] > 0


def _result(key, split, seed, top1):
    return Table1Result(key, key.upper(), 'RGB', top1, top1, 1.0, 2.0, 'c.py',
                        'w', split, seed)


def test_summarize_means_and_stds_over_splits_and_seeds():
    assert mean_std([1.0]) == (1.0, 0.0)
    mean, std = mean_std([10.0, 20.0, 30.0])
    assert mean == pytest.approx(20.0) and std == pytest.approx(10.0)
    results = [
        _result('rgb', split, seed, 10.0 * split + seed) for split in (1, 2, 3)
        for seed in (0, 1)
    ] + [_result('distill', 1, 0, 50.0)]
    rgb, distill = summarize(results)
    assert (rgb['key'], rgb['runs'], distill['runs']) == ('rgb', 6, 1)
    values = [10.0 * s + k for s in (1, 2, 3) for k in (0, 1)]
    assert rgb['top1'] == pytest.approx(sum(values) / 6)
    assert rgb['top1_std'] == pytest.approx(mean_std(values)[1])
    assert distill['top1_std'] == 0.0
    assert {(p['split'], p['seed'])
            for p in rgb['per_run']} == {(s, k)
                                         for s in (1, 2, 3)
                                         for k in (0, 1)}


def test_seeds_splits_and_reuse_of_finished_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kwargs = dict(
        work_dir='work',
        videos_per_class=3,
        cfg_options=TINY,
        rows=['rgb'],
        splits=(1, 2),
        seeds=(0, 1),
        mode='motion',
        visualize=False)
    results = run_table1(**kwargs)
    assert [(r.split, r.seed) for r in results] == [(1, 0), (1, 1), (2, 0),
                                                    (2, 1)]
    assert not any(r.reused for r in results)
    # the training seed reaches the Runner: other seed, other weights
    ckpt = 'work/split1_seed{}/' \
        'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-rgb/epoch_2.pth'
    import torch
    w0, w1 = (
        torch.load(ckpt.format(k),
                   weights_only=False)['state_dict']['cls_head.fc_cls.weight']
        for k in (0, 1))
    assert not torch.equal(w0, w1)
    table = json.loads(open('work/table1.json').read())
    assert len(table['rows']) == 4 and table['summary'][0]['runs'] == 4
    assert 'split 2 seed 1' in open('work/table1.md').read()
    # a second call tests the finished runs instead of training them again
    again = run_table1(**kwargs)
    assert all(r.reused for r in again)
    assert [r.top1 for r in again] == [r.top1 for r in results]


def _own_data(videos_per_class: int) -> None:
    """One's own data in HMDB51's layout in ``./own``: 3 classes."""
    from tsdistill.data_tools.synthetic_motion import generate_motion_dataset
    generate_motion_dataset(
        'own',
        videos_per_class=videos_per_class,
        num_frames=20,
        size=40,
        classes=('move_left', 'static', 'zoom_in'))


def test_cpu_configs_on_own_data_read_the_class_count(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _own_data(videos_per_class=4)
    results = run_table1(
        'own',
        work_dir='work',
        configs='demo',
        rows=['rgb', 'tvl1', 'distill'],
        cfg_options=TINY,
        row_cfg_options=TINY_ROWS,
        visualize=False)
    assert [r.key for r in results] == ['rgb', 'tvl1', 'distill']
    assert all('configs/demo' in r.config for r in results)
    for r in results:
        ckpt = torch_load(osp.join(r.work_dir, 'epoch_2.pth'))
        assert ckpt['state_dict']['cls_head.fc_cls.weight'].shape[0] == 3


def torch_load(path):
    import torch
    return torch.load(path, weights_only=False)


def _student_dir(run_dir):
    return osp.join(run_dir,
                    'r3d18slim_1xb8-16x1x1-120e_synthetic-motion-distill')


def test_student_retrained_when_its_teacher_changes_in_place(
        tmp_path, monkeypatch):
    """Reuse is keyed on what a run read: a teacher retrained in place (new
    checkpoint content, same config) makes the student train again."""
    monkeypatch.chdir(tmp_path)
    kwargs = dict(
        work_dir='work',
        videos_per_class=3,
        cfg_options=TINY,
        rows=['tvl1', 'distill'],
        row_cfg_options=TINY_ROWS,
        mode='motion',
        visualize=False)
    first = run_table1(**kwargs)
    teacher, student = first
    assert student.inputs['model.teacher_ckpt']
    again = run_table1(**kwargs)
    assert [r.reused for r in again] == [True, True]
    # the teacher retrained in place: same path, other weights
    import torch
    ckpt_path = osp.join(teacher.work_dir, 'epoch_2.pth')
    ckpt = torch.load(ckpt_path, weights_only=False)
    for value in ckpt['state_dict'].values():
        if value.is_floating_point():
            value.add_(0.01)
    torch.save(ckpt, ckpt_path)
    third = run_table1(**kwargs)
    assert [r.reused for r in third] == [True, False]
    assert (third[1].inputs['model.teacher_ckpt']
            != student.inputs['model.teacher_ckpt'])
    table = json.loads(open('work/table1.json').read())
    assert table['rows'][1]['inputs'] == third[1].inputs
    stamp = json.loads(
        open(osp.join(third[1].work_dir, 'table1_row.json')).read())
    assert stamp['inputs'] == third[1].inputs


def _swap_train_and_test(split_dir):
    """Swap the ids 1 (train) and 2 (test) in every split-1 file."""
    import glob
    for path in glob.glob(osp.join(split_dir, '*_test_split1.txt')):
        lines = []
        for line in open(path):
            name, ident = line.split()
            ident = {'1': '2', '2': '1'}.get(ident, ident)
            lines.append(f'{name} {ident}\n')
        with open(path, 'w') as f:
            f.writelines(lines)


def test_rows_retrained_when_the_splits_change_and_change_back(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kwargs = dict(
        work_dir='work',
        videos_per_class=3,
        cfg_options=TINY,
        rows=['rgb'],
        mode='motion',
        visualize=False)
    first, = run_table1(**kwargs)
    splits = 'data/synthetic_motion/testTrainMulti_7030_splits'
    _swap_train_and_test(splits)
    swapped, = run_table1(**kwargs)
    assert not swapped.reused
    assert (swapped.inputs['train_dataloader.ann_file']
            != first.inputs['train_dataloader.ann_file'])
    _swap_train_and_test(splits)  # restored
    restored, = run_table1(**kwargs)
    assert not restored.reused
    assert restored.inputs == first.inputs
    assert run_table1(**kwargs)[0].reused


def test_rows_without_the_rows_they_read_are_refused(tmp_path, monkeypatch):
    from tsdistill.jobs.table1 import check_rows
    with pytest.raises(ValueError, match=r"'distill'.*\['tvl1'\]"):
        check_rows(['distill'])
    with pytest.raises(ValueError, match=r"'two-stream'.*\['rgb'\]"):
        check_rows(['tvl1', 'two-stream'])
    with pytest.raises(ValueError, match='unknown rows'):
        check_rows(['rgb', 'student'])
    check_rows(['tvl1', 'distill'])
    monkeypatch.chdir(tmp_path)
    # before any data is generated or any row trained
    with pytest.raises(ValueError, match="'distill'"):
        run_table1(work_dir='work', rows=['distill'], videos_per_class=3)
    assert not osp.exists('work')


def test_binding_main_job_with_the_early_fusion_row(tmp_path, monkeypatch):
    """The binding mode through the main job, 2 epochs, with the early
    fusion reference row (run only when named)."""
    monkeypatch.chdir(tmp_path)
    keys = [row.key for row in TABLE1_ROWS]
    assert keys[-1] == 'early-fusion' and not TABLE1_ROWS[-1].default
    results = run_table1(
        work_dir='work',
        videos_per_class=3,
        mode='binding',
        rows=keys,
        cfg_options=TINY,
        row_cfg_options=TINY_ROWS,
        visualize=False)
    assert [r.key for r in results] == keys
    with open('data/synthetic_binding/annotations/classes.txt') as f:
        classes = f.read().split()
    assert len(classes) == 8 and all('-moves_' in c for c in classes)
    fusion = results[-1]
    assert 'early-fusion' in fusion.config
    # which object moved and how it moved, as cues of every row
    assert {'attribute_colour', 'attribute_motion'} <= set(fusion.per_class)
    markdown = open('work/table1.md').read()
    assert 'early fusion (reference)' in markdown


def test_two_stream_row_builds_the_streams_the_rows_trained(
        tmp_path, monkeypatch):
    """With another teacher config (one whose M2 reads the flow and the
    flow without the camera, 4 channels), the two-stream row fuses that
    teacher, not the default config's flow stream with its weights."""
    from mmengine.config import Config

    from tsdistill.utils.paths import shipped_path
    monkeypatch.chdir(tmp_path)
    teacher = shipped_path(
        'configs', 'demo', 'ablation',
        'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1-camera-both.py')
    results = run_table1(
        work_dir='work',
        videos_per_class=3,
        rows=['rgb', 'tvl1', 'two-stream'],
        row_configs={'tvl1': teacher},
        cfg_options=TINY,
        visualize=False)
    assert [r.key for r in results] == ['rgb', 'tvl1', 'two-stream']
    fused = Config.fromfile(
        osp.join(results[-1].work_dir, osp.basename(results[-1].config)))
    assert fused.model.flow_stream.camera_motion == 'both'
    assert fused.model.flow_stream.backbone.in_channels == 4


def test_budget_in_clips_scales_the_epochs_to_the_data(tmp_path, monkeypatch):
    from tsdistill.jobs.training_budget import EMBEDDED_TRAIN_VIDEOS
    monkeypatch.chdir(tmp_path)
    _own_data(videos_per_class=40)
    with pytest.raises(ValueError, match='paper configs keep their own'):
        run_table1('own', configs='paper', schedule='clips')
    with pytest.raises(ValueError, match='schedule must be one of'):
        run_table1('own', configs='demo', schedule='steps')
    results = run_table1(
        'own',
        work_dir='work',
        configs='demo',
        rows=['rgb'],
        cfg_options=TINY,
        visualize=False,
        schedule='clips')
    with open('own/annotations/hmdb51_train_split_1_videos.txt') as f:
        train_videos = len(f.read().split('\n')) - 1
    # TINY's 2 epochs of the embedded data's clips
    epochs = round(2 * EMBEDDED_TRAIN_VIDEOS / train_videos)
    assert epochs > 2
    assert osp.isfile(osp.join(results[0].work_dir, f'epoch_{epochs}.pth'))
    assert not osp.isfile(osp.join(results[0].work_dir, 'epoch_2.pth'))
    with open('work/table1.md') as f:
        assert 'Budget in clips' in f.read()
