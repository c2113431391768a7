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
