# Copyright (c) tsdistill authors. All rights reserved.
"""HMDB51 preparation on a generated dataset in HMDB51's layout."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from _helpers.tools import REPO, load_tool
from _helpers.videos import (HMDB51_LIKE_NAMES, real_clips, truncated_copy,
                             write_tiny_video)

from tsdistill.data_tools import (HMDB51AnnotationError, count_flow_frames,
                                  prepare_annotations, read_split_file)
from tsdistill.data_tools.flow_extraction import DONE_MARKER, flow_settings
from tsdistill.data_tools.hmdb51_annotations import flow_frames, rgb_frames
from tsdistill.data_tools.synthetic_motion import generate_motion_dataset

CLASSES = ('static', 'move_left', 'rotate_cw')


@pytest.fixture
def dataset(tmp_path):
    root = str(tmp_path / 'hmdb')
    generate_motion_dataset(
        root, videos_per_class=20, num_frames=4, size=32, classes=CLASSES)
    return root


def _paths(root):
    return (osp.join(root,
                     'videos'), osp.join(root, 'testTrainMulti_7030_splits'))


def _expected_counts(splits_root, name, split):
    counts = {1: 0, 2: 0, 0: 0}
    with open(osp.join(splits_root, f'{name}_test_split{split}.txt')) as f:
        for line in f:
            counts[int(line.split()[1])] += 1
    return counts


def test_counts_per_split_and_class_as_written(dataset, tmp_path):
    videos, splits = _paths(dataset)
    out = str(tmp_path / 'ann')
    summary = prepare_annotations(videos, splits, out, strict=True)
    assert summary.issues == []
    assert summary.classes == sorted(CLASSES)
    for split in (1, 2, 3):
        total = {'train': 0, 'val': 0}
        for name in CLASSES:
            expected = _expected_counts(splits, name, split)
            # 20 videos: 1 unused, 13 train, 6 test (HMDB51's 70/30)
            assert expected == {1: 13, 2: 6, 0: 1}
            assert summary.per_class[(split, 'train', name)] == expected[1]
            assert summary.per_class[(split, 'val', name)] == expected[2]
            total['train'] += expected[1]
            total['val'] += expected[2]
        for subset in ('train', 'val'):
            path = osp.join(out, f'hmdb51_{subset}_split_{split}_videos.txt')
            with open(path) as f:
                lines = f.read().splitlines()
            assert len(lines) == total[subset] == summary.counts[(split,
                                                                  subset)]
            for line in lines:
                rel, label = line.split()
                name = rel.split('/')[0]
                # labels: sorted class names, 0-based
                assert int(label) == sorted(CLASSES).index(name)
                assert osp.isfile(osp.join(videos, rel))
    with open(osp.join(out, 'classes.txt')) as f:
        assert f.read().split() == sorted(CLASSES)


def test_splits_differ_between_splits(dataset):
    _, splits = _paths(dataset)
    one = read_split_file(osp.join(splits, 'static_test_split1.txt'))[0]
    two = read_split_file(osp.join(splits, 'static_test_split2.txt'))[0]
    assert [e[:2] for e in one] != [e[:2] for e in two]


def _append(path, text):
    with open(path, 'a') as f:
        f.write(text)


@pytest.mark.parametrize('kind', [
    'missing video', 'duplicate video', 'unknown id', 'malformed line',
    'missing split file'
])
def test_every_issue_names_the_file(dataset, tmp_path, kind):
    videos, splits = _paths(dataset)
    split_file = osp.join(splits, 'move_left_test_split1.txt')
    if kind == 'missing video':
        os.remove(osp.join(videos, 'move_left', 'move_left_003.avi'))
        # make sure video 3 is used in split 1 (train or test)
        with open(split_file) as f:
            text = f.read().replace('move_left_003.avi 0',
                                    'move_left_003.avi 1')
        with open(split_file, 'w') as f:
            f.write(text)
        named = 'move_left_003.avi'
    elif kind == 'duplicate video':
        _append(split_file, 'move_left_004.avi 1\n')
        named = split_file
    elif kind == 'unknown id':
        _append(split_file, 'move_left_099.avi 7\n')
        named = split_file
    elif kind == 'malformed line':
        _append(split_file, 'this line is wrong here\n')
        named = split_file
    else:
        split_file = osp.join(splits, 'rotate_cw_test_split2.txt')
        os.remove(split_file)
        named = split_file
    out = str(tmp_path / 'ann')
    with pytest.raises(HMDB51AnnotationError) as info:
        prepare_annotations(videos, splits, out, strict=True)
    assert kind in str(info.value)
    assert named in str(info.value)
    # lenient: listed and counted, the rest written
    summary = prepare_annotations(videos, splits, out, strict=False)
    kinds = [issue.kind for issue in summary.issues]
    # a missing video is reported by every split file that uses it
    assert set(kinds) == {kind}
    assert len(kinds) == 1 or kind == 'missing video'
    assert all(named in str(issue) for issue in summary.issues)
    assert f'issue(s): {kind} {len(kinds)}' in summary.format()


def test_cli_strict_exit_code(dataset, tmp_path):
    videos, splits = _paths(dataset)
    _append(osp.join(splits, 'static_test_split1.txt'), 'static_000.avi 1\n')
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'data', 'hmdb51', 'prepare_annotations.py'),
        '--videos-root', videos, '--splits-root', splits, '--out-dir',
        str(tmp_path / 'ann')
    ]
    env = dict(os.environ, PYTHONPATH=REPO)
    lenient = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert lenient.returncode == 0
    assert 'duplicate video 1' in lenient.stdout
    strict = subprocess.run(
        cmd + ['--strict'], capture_output=True, text=True, env=env)
    assert strict.returncode == 1
    assert 'static_test_split1.txt' in strict.stderr


def _lines(path):
    with open(path) as f:
        return f.read().splitlines()


def test_rawframe_lists_count_video_frames_minus_one(dataset, tmp_path):
    videos, splits = _paths(dataset)
    out = str(tmp_path / 'ann')
    prepare_annotations(videos, splits, out, splits=(2, ), strict=True)
    for subset in ('train', 'val'):
        video_lines = _lines(
            osp.join(out, f'hmdb51_{subset}_split_2_videos.txt'))
        frame_lines = _lines(
            osp.join(out, f'hmdb51_{subset}_split_2_rawframes.txt'))
        rgb_lines = _lines(
            osp.join(out, f'hmdb51_{subset}_split_2_rgb_rawframes.txt'))
        # the same videos and labels, in the same order; 4 frames -> 3 flows
        assert [
            f'{rel[:-4]} 3 {label}'
            for rel, label in map(str.split, video_lines)
        ] == frame_lines
        assert [
            f'{rel[:-4]} 4 {label}'
            for rel, label in map(str.split, video_lines)
        ] == rgb_lines
    assert not osp.exists(osp.join(out, 'hmdb51_train_split_1_videos.txt'))


def _write_flow(flow_dir, num_x, num_y, done=True, bound=20.0):
    """Flow files as extract_flow leaves them (marker: it finished)."""
    os.makedirs(flow_dir, exist_ok=True)
    for axis, num in (('x', num_x), ('y', num_y)):
        for i in range(1, num + 1):
            with open(osp.join(flow_dir, f'{axis}_{i:05d}.jpg'), 'wb') as f:
                f.write(b'\xff\xd8 jpeg')
    if done:
        with open(osp.join(flow_dir, DONE_MARKER), 'w') as f:
            json.dump(
                dict(
                    version=2,
                    num_pairs=num_x,
                    settings=flow_settings('module', bound)), f)


def test_rawframe_lists_count_flow_files(tmp_path):
    # HMDB51 names hold brackets, which glob would read as a pattern
    name, video = 'wave', '[HD]_wave_x!_u_nm_np1_fr_goo_0.avi'
    videos = tmp_path / 'videos'
    splits = tmp_path / 'splits'
    flow = tmp_path / 'flow'
    os.makedirs(videos / name)
    os.makedirs(splits)
    ids = {video: 1, 'other_1.avi': 2, 'other_2.avi': 2}
    for v in ids:
        (videos / name / v).write_bytes(b'')
    (splits / f'{name}_test_split1.txt').write_text(''.join(
        f'{v} {i} \n' for v, i in ids.items()))
    _write_flow(str(flow / name / video[:-4]), 7, 7)
    _write_flow(str(flow / name / 'other_1'), 5, 4, done=False)
    summary = prepare_annotations(
        str(videos),
        str(splits),
        str(tmp_path / 'ann'),
        rawframes_root=str(flow),
        splits=(1, ),
        probe_videos=False)
    assert _lines(tmp_path / 'ann' / 'hmdb51_train_split_1_rawframes.txt') \
        == [f'{name}/{video[:-4]} 7 0']
    # no val video is left: no empty val lists, an issue for each instead
    assert not osp.exists(tmp_path / 'ann' / 'hmdb51_val_split_1_videos.txt')
    split_file = str(splits / f'{name}_test_split1.txt')
    issues = {issue.kind: issue for issue in summary.issues}
    assert sorted(issues) == ['empty list', 'incomplete flow', 'missing flow']
    assert issues['incomplete flow'].line == 2
    assert str(issues['incomplete flow']).startswith(f'{split_file}:2: ')
    assert '5 x_ and 4 y_ flow files' in str(issues['incomplete flow'])
    assert str(issues['missing flow']).startswith(f'{split_file}:3: ')
    assert osp.join(str(flow), name, 'other_2') in str(issues['missing flow'])


def test_unreadable_video_named_with_split_line(dataset, tmp_path):
    videos, splits = _paths(dataset)
    broken = osp.join(videos, 'static', 'static_002.avi')
    with open(broken, 'wb') as f:
        f.write(b'RIFF' + bytes(100))
    with pytest.raises(HMDB51AnnotationError) as info:
        prepare_annotations(
            videos, splits, str(tmp_path / 'strict'), strict=True)
    assert broken in str(info.value)
    assert not osp.exists(tmp_path / 'strict')  # strict writes nothing
    summary = prepare_annotations(videos, splits, str(tmp_path / 'ann'))
    unreadable = [i for i in summary.issues if i.kind == 'unreadable video']
    assert [i.kind for i in summary.issues
            ] == ['unreadable video'] * len(unreadable) and unreadable
    for issue in unreadable:
        assert issue.path.startswith(osp.join(splits, 'static_test_split'))
        assert issue.line == 3  # static_002.avi is the third line
        assert broken in issue.message
    for name in os.listdir(tmp_path / 'ann'):
        assert 'static_002' not in (tmp_path / 'ann' / name).read_text()


def test_class_without_videos(dataset, tmp_path):
    videos, splits = _paths(dataset)
    for split in (1, 2, 3):
        _append(osp.join(splits, f'ghost_test_split{split}.txt'), '')
    summary = prepare_annotations(videos, splits, str(tmp_path / 'ann'))
    assert [str(i) for i in summary.issues] == [
        f'{osp.join(videos, "ghost")}: class without videos: class '
        "'ghost' has split files but no video folder"
    ]
    # the class keeps its sorted place in the label order
    assert summary.classes == sorted(CLASSES + ('ghost', ))


def _prepare_annotations_cli():
    """tools/data/hmdb51/prepare_annotations.py as a module."""
    return load_tool('data', 'hmdb51', 'prepare_annotations.py')


def test_cli_no_probe_writes_video_lists_only(dataset, tmp_path):
    module = _prepare_annotations_cli()
    videos, splits = _paths(dataset)
    out = tmp_path / 'ann'
    assert module.main([
        '--videos-root', videos, '--splits-root', splits, '--out-dir',
        str(out), '--splits', '3', '--no-probe'
    ]) == 0
    assert sorted(os.listdir(out)) == [
        'classes.txt', 'hmdb51_train_split_3_videos.txt',
        'hmdb51_val_split_3_videos.txt'
    ]


def _flow_dataset(tmp_path, videos_in_list):
    """Class 'wave': these train videos and a test video with its flow.

    Returns:
        tuple: ``(videos, splits, flow)`` roots.
    """
    videos, splits, flow = (tmp_path / n for n in ('videos', 'splits', 'flow'))
    os.makedirs(videos / 'wave')
    os.makedirs(splits)
    for v in list(videos_in_list) + ['test_0.avi']:
        (videos / 'wave' / v).write_bytes(b'')
    (splits /
     'wave_test_split1.txt').write_text(''.join(f'{v} 1\n'
                                                for v in videos_in_list) +
                                        'test_0.avi 2\n')
    _write_flow(str(flow / 'wave' / 'test_0'), 4, 4)
    return str(videos), str(splits), str(flow)


def _prepare_flow(videos, splits, flow, out):
    return prepare_annotations(
        videos,
        splits,
        out,
        rawframes_root=flow,
        splits=(1, ),
        probe_videos=False)


def test_interrupted_flow_folder_is_incomplete_not_short(tmp_path):
    # a kill can leave 26/26 JPEGs, one of them 0 bytes, and no marker
    names = [
        '(HQ)_a_-_b_wave_f_cm_np1_le_med_0.avi', 'done_1.avi', 'counts_2.avi'
    ]
    videos, splits, flow = _flow_dataset(tmp_path, names)
    killed = osp.join(flow, 'wave', names[0][:-4])
    _write_flow(killed, 26, 26, done=False)
    open(osp.join(killed, 'y_00026.jpg'), 'wb').close()
    _write_flow(osp.join(flow, 'wave', 'done_1'), 30, 30)
    # marker present, but files missing since
    _write_flow(osp.join(flow, 'wave', 'counts_2'), 30, 30)
    os.remove(osp.join(flow, 'wave', 'counts_2', 'x_00030.jpg'))
    out = str(tmp_path / 'ann')
    summary = _prepare_flow(videos, splits, flow, out)
    assert _lines(osp.join(out, 'hmdb51_train_split_1_rawframes.txt')) == \
        ['wave/done_1 30 0']
    assert [(i.kind, i.line)
            for i in summary.issues] == [('incomplete flow', 1),
                                         ('incomplete flow', 3)]
    assert killed in summary.issues[0].message
    assert DONE_MARKER in summary.issues[0].message
    assert '29 x_ and 30 y_ flow files, its .flow_done.json says 30' in \
        summary.issues[1].message
    with pytest.raises(HMDB51AnnotationError, match='incomplete flow'):
        prepare_annotations(
            videos,
            splits,
            str(tmp_path / 'strict'),
            rawframes_root=flow,
            splits=(1, ),
            probe_videos=False,
            strict=True)


def test_mmaction2s_own_flow_rawframes_are_counted():
    folder = osp.join(REPO, '..', 'shared', 'data', 'mmaction2_frames')
    if not osp.isdir(folder):
        pytest.skip(f'no mmaction2 rawframe samples in {folder}')
    # 10 img_ and 5 x_ / y_ files: only the flow files count
    assert count_flow_frames(folder) == (5, 5)


def test_flow_of_other_settings_is_reported(tmp_path):
    names = [f'v_{i}.avi' for i in range(3)]
    videos, splits, flow = _flow_dataset(tmp_path, names)
    _write_flow(osp.join(flow, 'wave', 'v_0'), 4, 4)
    _write_flow(osp.join(flow, 'wave', 'v_1'), 4, 4, bound=10.0)
    _write_flow(osp.join(flow, 'wave', 'v_2'), 4, 4)
    summary = _prepare_flow(videos, splits, flow, str(tmp_path / 'ann'))
    assert _lines(tmp_path / 'ann' / 'hmdb51_train_split_1_rawframes.txt') \
        == ['wave/v_0 4 0', 'wave/v_2 4 0']
    assert [(i.kind, i.line)
            for i in summary.issues] == [('mixed flow settings', 2)]
    assert 'bound: 20.0 -> 10.0' in summary.issues[0].message


def test_missing_splits_write_no_empty_lists(dataset, tmp_path, capsys):
    videos, splits = _paths(dataset)
    for name in os.listdir(splits):
        if not name.endswith('split1.txt'):
            os.remove(osp.join(splits, name))
    module = _prepare_annotations_cli()
    out = tmp_path / 'ann'
    assert module.main([
        '--videos-root', videos, '--splits-root', splits, '--out-dir',
        str(out), '--no-probe'
    ]) == 0
    assert sorted(os.listdir(out)) == [
        'classes.txt', 'hmdb51_train_split_1_videos.txt',
        'hmdb51_val_split_1_videos.txt'
    ]
    text = capsys.readouterr().out
    assert '2 issue(s): missing split 2' in text
    for split in (2, 3):
        assert (f'{splits}: missing split: no <class>_test_split{split}.txt '
                f'file for any class: split {split} is not written') in text
    with pytest.raises(HMDB51AnnotationError, match='missing split'):
        prepare_annotations(
            videos,
            splits,
            str(tmp_path / 'strict'),
            probe_videos=False,
            strict=True)


def test_a_list_left_empty_is_an_issue_not_a_file(dataset, tmp_path):
    videos, splits = _paths(dataset)
    # every split-1 test video of every class goes missing
    for name in CLASSES:
        with open(osp.join(splits, f'{name}_test_split1.txt')) as f:
            for line in f:
                video, split_id = line.split()
                if split_id == '2':
                    os.remove(osp.join(videos, name, video))
    out = str(tmp_path / 'ann')
    summary = prepare_annotations(
        videos, splits, out, splits=(1, ), probe_videos=False)
    assert osp.exists(osp.join(out, 'hmdb51_train_split_1_videos.txt'))
    empty = osp.join(out, 'hmdb51_val_split_1_videos.txt')
    assert not osp.exists(empty)
    assert [str(i) for i in summary.issues if i.kind == 'empty list'] == [
        f'{empty}: empty list: no val video of split 1 is left: the list '
        'is not written'
    ]


def test_truncated_real_clip_found_before_training(tmp_path):
    # a real HMDB51 clip cut in half passed the old probe (decord opens it
    # by path) and then crashed decord when training read it from memory
    clip = real_clips()[0]
    name = osp.basename(clip)
    videos, splits = tmp_path / 'videos', tmp_path / 'splits'
    os.makedirs(videos / 'climb')
    os.makedirs(splits)
    shutil.copy(clip, videos / 'climb' / 'intact.avi')
    truncated_copy(clip, str(videos / 'climb' / name), 'half')
    (splits /
     'climb_test_split1.txt').write_text(f'intact.avi 1 \n{name} 1 \n')
    with pytest.raises(HMDB51AnnotationError) as info:
        prepare_annotations(
            str(videos),
            str(splits),
            str(tmp_path / 'strict'),
            splits=(1, ),
            strict=True)
    broken = str(videos / 'climb' / name)
    assert f'climb_test_split1.txt:2: truncated video: {broken}: ' \
        'truncated AVI' in str(info.value)
    summary = prepare_annotations(
        str(videos), str(splits), str(tmp_path / 'ann'), splits=(1, ))
    # no val video: the videos, flow and RGB lists are not written
    assert [i.kind for i in summary.issues
            ] == ['truncated video'] + ['empty list'] * 3
    assert _lines(tmp_path / 'ann' / 'hmdb51_train_split_1_rawframes.txt') \
        == ['climb/intact 242 0']
    assert _lines(tmp_path / 'ann' /
                  'hmdb51_train_split_1_rgb_rawframes.txt') \
        == ['climb/intact 243 0']


def test_cli_probe_workers_name_a_broken_video(dataset, tmp_path, capsys):
    module = _prepare_annotations_cli()
    videos, splits = _paths(dataset)
    broken = osp.join(videos, 'static', 'static_002.avi')
    with open(broken, 'wb') as f:
        f.write(b'RIFF' + bytes(100))
    args = [
        '--videos-root', videos, '--splits-root', splits, '--out-dir',
        str(tmp_path / 'ann'), '--splits', '1', '--workers', '2', '--timeout',
        '60'
    ]
    assert module.main(args) == 0
    out = capsys.readouterr().out
    assert '1 issue(s): unreadable video 1' in out and broken in out
    assert module.main(args + ['--strict']) == 1
    assert broken in capsys.readouterr().err


def _write_rawframes(frame_dir, num_frames, task):
    """RGB frames and / or flow as extract_flow leaves them, marked."""
    num_pairs = num_frames - 1 if task != 'rgb' else 0
    if task != 'rgb':
        _write_flow(frame_dir, num_pairs, num_pairs, done=False)
    os.makedirs(frame_dir, exist_ok=True)
    if task != 'flow':
        for i in range(1, num_frames + 1):
            with open(osp.join(frame_dir, f'img_{i:05d}.jpg'), 'wb') as f:
                f.write(b'\xff\xd8 jpeg')
    with open(osp.join(frame_dir, DONE_MARKER), 'w') as f:
        json.dump(
            dict(
                version=3,
                task=task,
                num_frames=num_frames if task != 'flow' else 0,
                num_pairs=num_pairs,
                settings=flow_settings('module', 20.0)), f)


def test_rgb_and_flow_lists_from_a_rawframes_root(tmp_path):
    names = ['both_0.avi', 'flow_only.avi', 'absent.avi', 'cut_rgb.avi']
    videos, splits, flow = _flow_dataset(tmp_path, names)
    root = osp.join(flow, 'wave')
    _write_rawframes(osp.join(root, 'both_0'), 9, 'both')
    _write_rawframes(osp.join(root, 'test_0'), 5, 'both')
    _write_rawframes(osp.join(root, 'flow_only'), 7, 'flow')
    _write_rawframes(osp.join(root, 'cut_rgb'), 7, 'both')
    os.remove(osp.join(root, 'cut_rgb', 'img_00007.jpg'))
    out = str(tmp_path / 'ann')
    summary = _prepare_flow(videos, splits, flow, out)
    # n RGB frames, n - 1 flows; a video missing a part is in no list
    assert _lines(osp.join(out, 'hmdb51_train_split_1_rgb_rawframes.txt')) \
        == ['wave/both_0 9 0']
    assert _lines(osp.join(out, 'hmdb51_train_split_1_rawframes.txt')) == \
        ['wave/both_0 8 0']
    assert _lines(osp.join(out, 'hmdb51_train_split_1_videos.txt')) == \
        ['wave/both_0.avi 0']
    assert _lines(osp.join(out, 'hmdb51_val_split_1_rgb_rawframes.txt')) \
        == ['wave/test_0 5 0']
    assert [(i.kind, i.line)
            for i in summary.issues] == [('missing rgb frames', 2),
                                         ('missing flow', 3),
                                         ('incomplete rgb frames', 4)]
    flow_only, absent, cut = (i.message for i in summary.issues)
    assert flow_only == f"no img_*.jpg in {osp.join(root, 'flow_only')}"
    # a folder holding nothing is one issue, not one per part
    assert absent == f"no x_*.jpg or img_*.jpg in {osp.join(root, 'absent')}"
    assert '6 img_ files, its .flow_done.json says 7' in cut


def test_a_folder_marked_for_flow_only_with_img_files(tmp_path):
    videos, splits, flow = _flow_dataset(tmp_path, ['v.avi'])
    folder = osp.join(flow, 'wave', 'v')
    _write_rawframes(folder, 4, 'flow')
    for i in (1, 2):  # a kill while extract_flow added the RGB frames
        open(osp.join(folder, f'img_{i:05d}.jpg'), 'wb').close()
    assert rgb_frames(folder)[1] == (
        'incomplete rgb frames',
        f'{folder} holds 2 img_ files and a {DONE_MARKER} that lists flow '
        'only: tools/extract_flow.py did not finish them (run it again '
        'with --task rgb or both to complete them)')
    assert flow_frames(folder)[0] == 3


def test_an_rgb_only_root_writes_rgb_lists_only(tmp_path):
    videos, splits, flow = _flow_dataset(tmp_path, ['v_0.avi', 'v_1.avi'])
    for name in ('v_0', 'v_1', 'test_0'):
        shutil.rmtree(osp.join(flow, 'wave', name), ignore_errors=True)
        _write_rawframes(osp.join(flow, 'wave', name), 6, 'rgb')
    out = str(tmp_path / 'ann')
    summary = _prepare_flow(videos, splits, flow, out)
    assert summary.issues == []
    assert sorted(os.listdir(out)) == [
        'classes.txt', 'hmdb51_train_split_1_rgb_rawframes.txt',
        'hmdb51_train_split_1_videos.txt',
        'hmdb51_val_split_1_rgb_rawframes.txt', 'hmdb51_val_split_1_videos.txt'
    ]
    assert _lines(osp.join(out, 'hmdb51_train_split_1_rgb_rawframes.txt')) \
        == ['wave/v_0 6 0', 'wave/v_1 6 0']


def test_mmaction2s_rawframe_dataset_reads_the_extracted_lists(tmp_path):
    """tools/extract_flow.py, then prepare_annotations, then mmaction2's own
    RawframeDataset, SampleFrames and RawFrameDecode, RGB and Flow."""
    from mmaction.registry import DATASETS
    from mmengine.registry import init_default_scope

    from tsdistill.data_tools.flow_extraction import read_video

    videos, splits = tmp_path / 'videos', tmp_path / 'splits'
    os.makedirs(splits)
    rels = {}
    for seed, (name, video, split_id) in enumerate(
        (('clap', HMDB51_LIKE_NAMES[0], 1), ('kick_ball', HMDB51_LIKE_NAMES[1],
                                             2))):
        write_tiny_video(
            str(videos / name / video), num_frames=7, shift=1, seed=seed)
        (splits / f'{name}_test_split1.txt').write_text(f'{video} {split_id}'
                                                        ' \n')
        rels[split_id] = f'{name}/{video}'
    listed = tmp_path / 'all_videos.txt'
    listed.write_text(''.join(f'{rel} 0\n' for rel in rels.values()))
    frames_root = str(tmp_path / 'rawframes')
    extract = vars(load_tool('extract_flow.py'))
    assert extract['main']([
        str(listed), '--data-root',
        str(videos), '--out-root', frames_root, '--device', 'cpu',
        '--no-progress', '--flow-cfg',
        '{"num_scales": 1, "num_warps": 1, "num_iters": 2}'
    ]) == 0  # --task both by default
    ann = str(tmp_path / 'ann')
    summary = prepare_annotations(
        str(videos),
        str(splits),
        ann,
        rawframes_root=frames_root,
        splits=(1, ),
        strict=True)
    assert summary.issues == []
    init_default_scope('mmaction')
    for split_id, subset in ((1, 'train'), (2, 'val')):
        rel = rels[split_id]
        expected = read_video(str(videos / rel))
        assert len(expected) == 7
        for modality, tmpl, suffix, num in (('RGB', 'img_{:05}.jpg',
                                             'rgb_rawframes', 7),
                                            ('Flow', '{}_{:05d}.jpg',
                                             'rawframes', 6)):
            dataset = DATASETS.build(
                dict(
                    type='RawframeDataset',
                    ann_file=osp.join(ann,
                                      f'hmdb51_{subset}_split_1_{suffix}.txt'),
                    data_prefix=dict(img=frames_root),
                    filename_tmpl=tmpl,
                    modality=modality,
                    test_mode=True,
                    pipeline=[
                        # every frame of the clip: the last file must exist
                        dict(
                            type='SampleFrames',
                            clip_len=num,
                            frame_interval=1,
                            num_clips=1,
                            test_mode=True),
                        dict(type='RawFrameDecode'),
                    ]))
            assert len(dataset) == 1
            item = dataset[0]
            assert item['total_frames'] == num
            assert item['frame_dir'] == osp.join(frames_root,
                                                 osp.splitext(rel)[0])
            assert list(item['frame_inds']) == list(range(1, num + 1))
            imgs = np.stack(item['imgs'])
            if modality == 'RGB':
                assert imgs.shape == (7, 32, 32, 3)
                # mmaction2 decodes them as RGB: the video's frames
                # (a random texture, which JPEG keeps only roughly)
                err = np.abs(imgs.astype(int) - expected).mean()
                swapped = np.abs(imgs[..., ::-1].astype(int) - expected).mean()
                assert err < 16 and swapped > 2 * err, (err, swapped)
            else:
                assert imgs.shape == (6, 32, 32, 2)
                files = [[
                    cv2.imread(
                        osp.join(item['frame_dir'], f'{axis}_{i:05d}.jpg'),
                        cv2.IMREAD_GRAYSCALE) for axis in 'xy'
                ] for i in range(1, num + 1)]
                np.testing.assert_array_equal(
                    imgs,
                    np.stack(files).transpose(0, 2, 3, 1))
