# Copyright (c) tsdistill authors. All rights reserved.
"""HMDB51 preparation on a generated dataset in HMDB51's layout."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from tsdistill.datasets.hmdb51 import (HMDB51AnnotationError,
                                       prepare_annotations, read_split_file)
from tsdistill.datasets.synthetic_motion import generate_motion_dataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
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
        # the same videos and labels, in the same order; 4 frames -> 3 flows
        assert [
            f'{rel[:-4]} 3 {label}'
            for rel, label in map(str.split, video_lines)
        ] == frame_lines
    assert not osp.exists(osp.join(out, 'hmdb51_train_split_1_videos.txt'))


def _write_flow(flow_dir, num_x, num_y):
    os.makedirs(flow_dir, exist_ok=True)
    for axis, num in (('x', num_x), ('y', num_y)):
        for i in range(1, num + 1):
            open(osp.join(flow_dir, f'flow_{axis}_{i:05d}.jpg'), 'wb').close()


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
    _write_flow(str(flow / name / 'other_1'), 5, 4)
    summary = prepare_annotations(
        str(videos),
        str(splits),
        str(tmp_path / 'ann'),
        rawframes_root=str(flow),
        splits=(1, ),
        probe_videos=False)
    assert _lines(tmp_path / 'ann' / 'hmdb51_train_split_1_rawframes.txt') \
        == [f'{name}/{video[:-4]} 7 0']
    assert _lines(tmp_path / 'ann' / 'hmdb51_val_split_1_rawframes.txt') \
        == []
    split_file = str(splits / f'{name}_test_split1.txt')
    issues = {issue.kind: issue for issue in summary.issues}
    assert sorted(issues) == ['incomplete flow', 'missing flow']
    assert issues['incomplete flow'].line == 2
    assert str(issues['incomplete flow']).startswith(f'{split_file}:2: ')
    assert '5 flow_x and 4 flow_y' in str(issues['incomplete flow'])
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


def test_cli_no_probe_writes_video_lists_only(dataset, tmp_path):
    from importlib import util
    spec = util.spec_from_file_location(
        'prepare',
        osp.join(REPO, 'tools', 'data', 'hmdb51', 'prepare_annotations.py'))
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
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
