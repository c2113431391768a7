# Copyright (c) tsdistill authors. All rights reserved.
"""Broken videos: named error by default, skipped and counted on request."""
import json
import os
import os.path as osp
import re
import shutil

import numpy as np
import pytest
import torch
from _helpers.tools import REPO
from _helpers.videos import motion_video_list, real_clips, truncated_copy
from mmaction.datasets.transforms import DecordInit
from mmaction.models import ActionDataPreprocessor
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from tsdistill.data_tools.synthetic_motion import generate_motion_dataset
from tsdistill.datasets.transforms import CheckedDecordInit
from tsdistill.datasets.video_dataset import (AnnotationListError,
                                              BrokenVideoReportHook,
                                              CheckedVideoDataset,
                                              VideoDecodeError)

HMDB51_CFG = osp.join(REPO, 'configs', '_base_', 'datasets', 'hmdb51_video.py')

PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=4, frame_interval=1, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]


@pytest.fixture
def broken_list(tmp_path):
    init_default_scope('mmaction')
    ann, videos = motion_video_list(
        tmp_path, ('static', 'move_up'), 3, num_frames=6, size=32)
    broken = osp.join(videos, 'static', 'static_001.avi')
    with open(broken, 'wb') as f:
        f.write(b'RIFF' + bytes(200))  # a corrupt .avi
    return ann, videos, broken


def _dataset(ann, root, **kwargs):
    return CheckedVideoDataset(
        ann, PIPELINE, data_prefix=dict(video=root), **kwargs)


def test_broken_video_error_names_the_file(broken_list):
    ann, root, broken = broken_list
    dataset = _dataset(ann, root)
    assert dataset[0]['inputs'].shape == (1, 3, 4, 32, 32)
    with pytest.raises(VideoDecodeError, match=broken):
        dataset[1]
    # test mode never skips, even when asked to
    test_set = _dataset(ann, root, skip_broken=True, test_mode=True)
    with pytest.raises(VideoDecodeError, match=broken):
        test_set[1]


class _Visualizer:

    def __init__(self):
        self.scalars = []

    def add_scalars(self, scalars, step=0):
        self.scalars.append(dict(scalars, step=step))


class _Runner:
    """The attributes the hook reads from mmengine's Runner."""

    def __init__(self, loader):
        from mmengine.logging import MessageHub
        self.train_dataloader = loader
        self.epoch = 0
        self.iter = 3
        self.message_hub = MessageHub.get_instance('test_broken_videos')
        self.visualizer = _Visualizer()


def test_skipped_and_counted_through_dataloader_workers(broken_list):
    ann, root, broken = broken_list
    dataset = _dataset(ann, root, skip_broken=True)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=2,
        num_workers=2,
        shuffle=False,
        collate_fn=pseudo_collate)
    hook = BrokenVideoReportHook()
    runner = _Runner(loader)
    hook.before_train_epoch(runner)
    # (the skip warnings are raised in the worker processes)
    batches = list(loader)
    # nothing lost silently: 6 samples out, the broken one replaced
    assert sum(len(b['inputs']) for b in batches) == 6
    assert dataset.broken_videos() == [broken]
    hook.after_train_epoch(runner)
    assert runner.message_hub.get_info('broken_videos') == 1
    assert runner.visualizer.scalars == [
        dict(broken_videos=1, epoch=1, step=3)
    ]
    hook.before_train_epoch(runner)
    assert dataset.broken_videos() == []


def test_missing_file_is_named_and_skippable(broken_list):
    ann, root, broken = broken_list
    missing = osp.join(root, 'move_up', 'move_up_002.avi')
    os.remove(missing)
    with pytest.raises(VideoDecodeError, match=missing):
        _dataset(ann, root)[5]
    dataset = _dataset(ann, root, skip_broken=True)
    assert dataset[5]['inputs'].shape == (1, 3, 4, 32, 32)  # another one
    skipped = dataset.skipped_videos()
    # (the random replacement may hit a broken video again)
    assert skipped[missing] >= 1 and set(skipped) <= {missing, broken}


def test_pipeline_bug_is_not_skipped(broken_list):
    ann, root, _ = broken_list

    def buggy(results):
        return results['no_such_key']

    dataset = CheckedVideoDataset(
        ann,
        PIPELINE[:3] + [buggy],
        data_prefix=dict(video=root),
        skip_broken=True)
    with pytest.raises(KeyError) as info:
        dataset[0]  # a readable video: the bug, not the file, is at fault
    good = osp.join(root, 'static', 'static_000.avi')
    assert any(good in note for note in info.value.__notes__)
    assert dataset.broken_videos() == []


def test_skips_counted_from_spawned_workers(broken_list):
    # spawned workers (macOS / Windows default) share the counts too
    ann, root, broken = broken_list
    dataset = _dataset(ann, root, skip_broken=True)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=3,
        num_workers=1,
        collate_fn=pseudo_collate,
        multiprocessing_context='spawn')
    assert sum(len(b['inputs']) for b in loader) == 6
    # (a random replacement may be the broken video again: counted again)
    assert list(dataset.skipped_videos()) == [broken]
    assert dataset.skipped_videos()[broken] >= 1


class _TinyModel(BaseModel):
    """Mean colour -> linear classifier: enough to drive a real Runner."""

    def __init__(self):
        super().__init__(data_preprocessor=ActionDataPreprocessor())
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        scores = self.fc(inputs.float().mean((1, 3, 4, 5)))
        labels = torch.cat([s.gt_label for s in data_samples])
        return dict(loss=torch.nn.functional.cross_entropy(scores, labels))


def test_runner_reports_skips_at_end_of_epoch(broken_list, tmp_path):
    ann, root, broken = broken_list
    runner = Runner(
        model=_TinyModel(),
        work_dir=str(tmp_path / 'work'),
        train_dataloader=dict(
            dataset=_dataset(ann, root, skip_broken=True),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            num_workers=2,
            persistent_workers=True,
            collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=None),
        custom_hooks=[dict(type='BrokenVideoReportHook')],
        default_scope='mmaction',
        experiment_name='broken_videos')
    runner.train()
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        log = f.read()
    # every epoch visits the broken video (and maybe draws it again)
    for epoch in (1, 2):
        assert re.search(
            rf'epoch {epoch}: skipped 1 broken video\(s\) (\d+) time\(s\), '
            rf'each replaced by another sample: {re.escape(broken)} '
            r'\(x\1\)', log), log
    assert runner.message_hub.get_info('broken_videos') == 1


def test_report_gathers_the_skips_of_all_ranks(broken_list, monkeypatch):
    from tsdistill.datasets import video_dataset
    ann, root, broken = broken_list
    dataset = _dataset(ann, root, skip_broken=True)
    runner = _Runner(dataset)
    runner.train_dataloader = torch.utils.data.DataLoader(dataset)
    dataset[1]  # this rank skips the broken video once
    other = osp.join(root, 'move_up', 'move_up_000.avi')
    monkeypatch.setattr(video_dataset, 'is_distributed', lambda: True)
    monkeypatch.setattr(video_dataset, 'all_gather_object',
                        lambda obj: [obj, {
                            broken: 2,
                            other: 1
                        }])
    logged = []
    monkeypatch.setattr(video_dataset, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    BrokenVideoReportHook().after_train_epoch(runner)
    assert runner.message_hub.get_info('broken_videos') == 2
    count = dataset.skipped_videos()[broken]
    assert logged == [
        f'epoch 1: skipped 2 broken video(s) {count + 3} time(s), each '
        f'replaced by another sample: {broken} (x{count + 2}), {other} (x1)'
    ]


def _scalar_records(runner):
    path = osp.join(runner.log_dir, 'vis_data', 'scalars.json')
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_broken_videos_scalar_logged_in_its_own_epoch(broken_list, tmp_path):
    # epoch 1 skips the broken video, epoch 2 runs on a repaired copy:
    # each epoch's record must carry its own count, the last one included
    ann, root, broken = broken_list
    good = osp.join(root, 'static', 'static_000.avi')

    class Repair(Hook):

        def before_train_epoch(self, runner):
            if runner.epoch == 1:
                shutil.copy(good, broken)

    runner = Runner(
        model=_TinyModel(),
        work_dir=str(tmp_path / 'work'),
        train_dataloader=dict(
            dataset=_dataset(ann, root, skip_broken=True),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0,
            collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(
            checkpoint=None, logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='BrokenVideoReportHook')],
        default_scope='mmaction',
        experiment_name='broken_videos_scalar')
    runner.register_hook(Repair(), priority='VERY_HIGH')
    runner.train()
    records = _scalar_records(runner)
    counts = [(r['epoch'], r['step'], r['broken_videos']) for r in records
              if 'broken_videos' in r]
    # 6 videos in batches of 2: steps 3 and 6 end the epochs
    assert counts == [(1, 3, 1), (2, 6, 0)], records
    assert runner.message_hub.get_info('broken_videos') == 0


def _hmdb51_pipeline(name):
    return Config.fromfile(HMDB51_CFG)[name]


@pytest.fixture
def truncated_real_clips(tmp_path):
    """A real HMDB51 clip and two cut copies: half its length and 2 KB."""
    init_default_scope('mmaction')
    clip = real_clips()[0]
    name = osp.basename(clip)
    root = tmp_path / 'videos'
    os.makedirs(root / 'climb')
    shutil.copy(clip, root / 'climb' / name)
    half = truncated_copy(clip, str(root / 'half' / name), 'half')
    small = truncated_copy(clip, str(root / 'small' / name), 2048)
    ann = tmp_path / 'list.txt'
    ann.write_text(f'climb/{name} 0\nhalf/{name} 1\nsmall/{name} 2\n')
    return str(ann), str(root), half, small


def test_truncated_real_clip_is_named_not_a_segfault(truncated_real_clips):
    # mmaction2's DecordInit hands decord the bytes of the file, and decord
    # then segfaults on these files (a killed DataLoader worker on main).
    ann, root, half, small = truncated_real_clips
    dataset = CheckedVideoDataset(
        ann,
        _hmdb51_pipeline('val_pipeline'),
        data_prefix=dict(video=root),
        test_mode=True)
    assert [type(t) for t in dataset.pipeline.transforms[:1]] == \
        [CheckedDecordInit]
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=1, num_workers=1, collate_fn=pseudo_collate)
    batches = iter(loader)
    assert next(batches)['inputs'][0].shape == (1, 3, 25, 112, 112)
    with pytest.raises(VideoDecodeError) as info:
        next(batches)
    assert half in str(info.value) and 'truncated AVI' in str(info.value)
    # the same in the main process (num_workers=0)
    for idx, path in ((1, half), (2, small)):
        with pytest.raises(VideoDecodeError, match=re.escape(path)):
            dataset[idx]


def test_truncated_real_clips_skipped_and_counted(truncated_real_clips):
    ann, root, half, small = truncated_real_clips
    dataset = CheckedVideoDataset(
        ann,
        _hmdb51_pipeline('train_pipeline'),
        data_prefix=dict(video=root),
        skip_broken=True)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=3, num_workers=1, collate_fn=pseudo_collate)
    inputs = [x for batch in loader for x in batch['inputs']]
    # nothing lost: every sample is the one intact clip
    assert len(inputs) == 3
    assert all(x.shape == (1, 3, 25, 112, 112) for x in inputs)
    assert set(dataset.skipped_videos()) == {half, small}


def test_checked_decord_init_reads_the_same_frames():
    init_default_scope('mmaction')
    for clip in real_clips():
        results = []
        for init in (DecordInit(), CheckedDecordInit()):
            pipeline = Compose([
                init,
                dict(
                    type='SampleFrames',
                    clip_len=243,
                    num_clips=1,
                    test_mode=True),
                dict(type='DecordDecode')
            ])
            results.append(
                pipeline(dict(filename=clip, start_index=0, modality='RGB')))
        stock, checked = results
        assert checked['total_frames'] == stock['total_frames']
        assert checked['avg_fps'] == stock['avg_fps']
        assert np.array_equal(
            np.stack(checked['imgs']), np.stack(stock['imgs']))


def test_missing_or_empty_list_named(tmp_path):
    init_default_scope('mmaction')
    (tmp_path / 'hmdb51_train_split_1_videos.txt').write_text('a.avi 0\n')
    missing = str(tmp_path / 'hmdb51_train_split_4_videos.txt')
    with pytest.raises(FileNotFoundError) as info:
        CheckedVideoDataset(missing, PIPELINE)
    assert missing in str(info.value)
    assert 'hmdb51_train_split_1_videos.txt' in str(info.value)
    empty = tmp_path / 'empty.txt'
    empty.write_text('')
    with pytest.raises(
            ValueError, match=f'{re.escape(str(empty))} lists '
            'no video'):
        CheckedVideoDataset(str(empty), PIPELINE)


def _list_with_classes(tmp_path, lines, classes=None):
    init_default_scope('mmaction')
    ann = tmp_path / 'hmdb51_train_split_1_videos.txt'
    ann.write_text(''.join(line + '\n' for line in lines))
    if classes is not None:
        (tmp_path / 'classes.txt').write_text(''.join(f'{c}\n'
                                                      for c in classes))
    return str(ann)


def test_a_label_out_of_range_of_classes_txt_is_named(tmp_path):
    # mmaction2 builds the dataset and the loss fails later with
    # "IndexError: Target 12 is out of bounds", naming no list or line
    with pytest.raises(IndexError, match='Target 12 is out of bounds'):
        torch.nn.functional.cross_entropy(
            torch.zeros(1, 8), torch.tensor([12]))
    classes = [f'class_{i}' for i in range(8)]
    ann = _list_with_classes(tmp_path,
                             ['a/x.avi 0', 'b/y.avi 12', 'c/z.avi 7'], classes)
    with pytest.raises(AnnotationListError) as info:
        CheckedVideoDataset(ann, PIPELINE)
    assert str(info.value) == (
        f'annotation list {ann}: 1 bad line(s):\n'
        f'  {ann}:2: label 12 is out of range 0..7 (8 classes, 8 lines in '
        f"{tmp_path / 'classes.txt'}): 'b/y.avi 12'")
    # within range: built as mmaction2 builds it
    ann = _list_with_classes(tmp_path, ['a/x.avi 0', 'c/z.avi 7'], classes)
    assert len(CheckedVideoDataset(ann, PIPELINE)) == 2


def test_labels_checked_against_the_heads_num_classes(tmp_path):
    ann = _list_with_classes(tmp_path, ['a/x.avi 0', 'b/y.avi 2', 'c/z.avi 1'])
    assert len(CheckedVideoDataset(ann, PIPELINE)) == 3  # no class count
    with pytest.raises(
            AnnotationListError,
            match=re.escape(
                f'{ann}:2: label 2 is out of range 0..1 (2 classes, the '
                'num_classes argument)')):
        CheckedVideoDataset(ann, PIPELINE, num_classes=2)
    # classes.txt and the head disagree: named, whatever the labels
    _list_with_classes(tmp_path, ['a/x.avi 0'], ['a', 'b', 'c'])
    with pytest.raises(
            ValueError,
            match=re.escape(
                f"{tmp_path / 'classes.txt'} names 3 classes, but num_classes "
                'is 4')):
        CheckedVideoDataset(ann, PIPELINE, num_classes=4)
    assert len(CheckedVideoDataset(ann, PIPELINE, num_classes=3)) == 1


def test_a_line_mmaction2_cannot_split_is_named(tmp_path):
    lines = ['jump rope/a.avi 0', 'wave/b.avi 1', '', 'wave/c.avi one']
    ann = _list_with_classes(tmp_path, lines, ['jump rope', 'wave'])
    with pytest.raises(AnnotationListError) as info:
        CheckedVideoDataset(ann, PIPELINE)
    assert str(info.value).splitlines() == [
        f'annotation list {ann}: 3 bad line(s):',
        f"  {ann}:1: 3 fields split on ' ', expected "
        '"<video><delimiter><label>" (a path cannot hold the delimiter): '
        "'jump rope/a.avi 0'", f'  {ann}:3: blank line',
        f"  {ann}:4: a label that is not an integer: 'wave/c.avi one'"
    ]


def test_lists_of_prepare_annotations_pass_the_checks(tmp_path):
    from tsdistill.data_tools.hmdb51_annotations import prepare_annotations
    init_default_scope('mmaction')
    root = str(tmp_path / 'data')
    classes = ('static', 'move_up', 'move_left')
    generate_motion_dataset(
        root, videos_per_class=5, num_frames=4, size=32, classes=classes)
    out = str(tmp_path / 'ann')
    summary = prepare_annotations(
        osp.join(root, 'videos'),
        osp.join(root, 'testTrainMulti_7030_splits'),
        out,
        splits=(1, ),
        probe_videos=False,
        strict=True)
    for subset in ('train', 'val'):
        dataset = CheckedVideoDataset(
            osp.join(out, f'hmdb51_{subset}_split_1_videos.txt'),
            PIPELINE,
            data_prefix=dict(video=osp.join(root, 'videos')),
            num_classes=len(classes))
        assert len(dataset) == summary.counts[(1, subset)]
        assert {
            dataset.get_data_info(i)['label']
            for i in range(len(dataset))
        } == set(range(len(classes)))
