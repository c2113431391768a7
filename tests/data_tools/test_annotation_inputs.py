# Copyright (c) tsdistill authors. All rights reserved.
"""prepare_annotations on inputs no list can hold, and on empty inputs.

Every list written is read back by mmaction2's own ``VideoDataset``
(mmaction2 1.2 splits a line on its ``delimiter``, a space; its
``RawframeDataset`` on any whitespace).
"""
import os
import os.path as osp
import string
import tempfile

import pytest
from _helpers.tools import load_tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mmaction.datasets import VideoDataset
from mmengine.fileio import list_from_file

from tsdistill.data_tools.hmdb51_annotations import (HMDB51AnnotationError,
                                                     prepare_annotations)
from tsdistill.utils.flow_io import FLOW_X_TMPL, FLOW_Y_TMPL, RGB_TMPL


def _layout(root, classes):
    """``{class: {video: split id}}`` as folders of empty .avi files."""
    videos, splits = osp.join(root, 'videos'), osp.join(root, 'splits')
    os.makedirs(splits, exist_ok=True)
    for name, ids in classes.items():
        os.makedirs(osp.join(videos, name), exist_ok=True)
        for video in ids:
            open(osp.join(videos, name, video), 'wb').close()
        with open(
                osp.join(splits, f'{name}_test_split1.txt'), 'w',
                encoding='utf-8') as f:
            f.writelines(f'{v} {i} \n' for v, i in ids.items())
    return videos, splits


def _read_back(ann_file, videos):
    """``[(filename, label)]`` as mmaction2's VideoDataset reads the list."""
    dataset = VideoDataset(
        ann_file=ann_file, pipeline=[], data_prefix=dict(video=videos))
    infos = map(dataset.get_data_info, range(len(dataset)))
    return [(info['filename'], info['label']) for info in infos]


def test_a_class_folder_with_a_space_is_named_not_listed(tmp_path):
    videos, splits = _layout(
        str(tmp_path), {
            'jump rope': {
                'a.avi': 1,
                'b.avi': 2
            },
            'wave': {
                'c.avi': 1,
                'd.avi': 2
            }
        })
    folder = osp.join(videos, 'jump rope')
    with pytest.raises(HMDB51AnnotationError) as info:
        prepare_annotations(
            videos,
            splits,
            str(tmp_path / 'strict'),
            splits=(1, ),
            probe_videos=False,
            strict=True)
    assert f"{folder}: unlistable name: the class name 'jump rope' holds " \
        "whitespace (' ')" in str(info.value)
    assert "e.g. to 'jump_rope'" in str(info.value)
    out = str(tmp_path / 'ann')
    summary = prepare_annotations(
        videos, splits, out, splits=(1, ), probe_videos=False)
    assert [(i.kind, i.path)
            for i in summary.issues] == [('unlistable name', folder)]
    assert summary.classes == ['wave']
    assert list_from_file(osp.join(out, 'classes.txt')) == ['wave']
    # mmaction2 reads every line back (it failed with "too many values
    # to unpack" on 'jump rope/a.avi 0')
    for subset, video in (('train', 'c.avi'), ('val', 'd.avi')):
        ann = osp.join(out, f'hmdb51_{subset}_split_1_videos.txt')
        assert _read_back(ann, videos) == [(osp.join(videos, 'wave',
                                                     video), 0)]


def test_a_class_folder_name_that_is_not_utf8(tmp_path):
    videos, splits = _layout(str(tmp_path), {'wave': {'c.avi': 1, 'd.avi': 2}})
    # b'caf\xe9' (Latin-1): os.listdir gives 'caf\udce9', which UTF-8
    # cannot encode
    os.makedirs(osp.join(os.fsencode(videos), b'caf\xe9'))
    summary = prepare_annotations(
        videos,
        splits,
        str(tmp_path / 'ann'),
        splits=(1, ),
        probe_videos=False)
    assert summary.classes == ['wave']
    assert [(i.kind, i.path) for i in summary.issues
            ] == [('unlistable name', osp.join(videos, 'caf\udce9'))]
    assert 'is not valid UTF-8' in summary.issues[0].message


def _main():
    return load_tool('data', 'hmdb51', 'prepare_annotations.py').main


@pytest.mark.parametrize('case', [
    'empty videos root', 'empty splits folder', 'empty split files',
    'unused videos only', 'every video missing'
])
def test_no_list_at_all_is_an_error_naming_what_is_empty(
        tmp_path, capsys, case):
    videos, splits = _layout(
        str(tmp_path), {
            'wave': {
                'c.avi': 1,
                'd.avi': 2
            },
            'clap': {
                'e.avi': 0
            }
        })
    named = splits
    if case == 'empty videos root':
        for name in ('wave', 'clap'):
            for video in os.listdir(osp.join(videos, name)):
                os.remove(osp.join(videos, name, video))
            os.rmdir(osp.join(videos, name))
        named = videos
    elif case == 'empty splits folder':
        for name in os.listdir(splits):
            os.remove(osp.join(splits, name))
    elif case == 'empty split files':
        for name in os.listdir(splits):
            open(osp.join(splits, name), 'w').close()
    elif case == 'unused videos only':
        with open(osp.join(splits, 'wave_test_split1.txt'), 'w') as f:
            f.write('c.avi 0\nd.avi 0\n')
    else:
        for video in ('c.avi', 'd.avi'):
            os.remove(osp.join(videos, 'wave', video))
        named = str(tmp_path / 'ann')
    out = str(tmp_path / 'ann')
    args = [
        '--videos-root', videos, '--splits-root', splits, '--out-dir', out,
        '--splits', '1', '--no-probe'
    ]
    assert _main()(args) == 1
    err = capsys.readouterr().err
    assert f'{named}: nothing to write: ' in err, err
    assert 'no list is written' in err
    assert not osp.exists(out)
    # in Python: raised without strict=True too
    with pytest.raises(HMDB51AnnotationError, match='nothing to write'):
        prepare_annotations(
            videos, splits, out, splits=(1, ), probe_videos=False)


def test_help_names_the_files_the_code_reads(capsys):
    with pytest.raises(SystemExit):
        _main()(['--help'])
    text = ' '.join(capsys.readouterr().out.split())
    for tmpl in (FLOW_X_TMPL, FLOW_Y_TMPL, RGB_TMPL):
        name = tmpl.replace('{:05d}', '%05d')
        assert name in text, name
    assert 'flow_x' not in text and 'flow_{' not in text


#: characters a class or video name is drawn from: letters, HMDB51's
#: punctuation, and whitespace of several kinds (Unicode's too)
NAME_CHARS = (
    string.ascii_letters[:6] + '_-()[]!+&.,#' + ' \t\x0b\x0c\r\n\x1c\x85' +
    '\xa0\u2028\u3000\u200b' + 'éß中')


def _name(min_size=1):
    return st.text(
        st.sampled_from(NAME_CHARS), min_size=min_size,
        max_size=10).filter(lambda n: n not in ('.', '..'))


#: one class: its videos (name, split id, whether the file exists) and
#: extra lines of arbitrary text in its split file
CLASS = st.tuples(
    st.lists(
        st.tuples(_name(), st.sampled_from(['0', '1', '2', '3', '-1', 'x',
                                            '']), st.booleans()),
        max_size=4), st.lists(_name(min_size=0), max_size=2))


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_name(), CLASS, max_size=4))
def test_fuzz_lists_read_back_by_mmaction2_or_a_named_error(classes):
    """Arbitrary class-folder names and split-file contents: the tool
    either raises an error naming the file, or writes lists that mmaction2's
    VideoDataset reads back to the same videos and labels."""
    with tempfile.TemporaryDirectory() as root:
        videos, splits = osp.join(root, 'videos'), osp.join(root, 'splits')
        os.makedirs(videos)
        os.makedirs(splits)
        for name, (entries, junk) in classes.items():
            os.makedirs(osp.join(videos, name))
            lines = [f'{video} {split_id}' for video, split_id, _ in entries]
            with open(
                    osp.join(splits, f'{name}_test_split1.txt'),
                    'w',
                    encoding='utf-8') as f:
                f.write('\n'.join(lines + junk) + '\n')
            for video, _, exists in entries:
                if exists and '/' not in video and not osp.exists(
                        osp.join(videos, name, video)):
                    open(osp.join(videos, name, video), 'wb').close()
        out = osp.join(root, 'ann')
        try:
            summary = prepare_annotations(
                videos, splits, out, splits=(1, ), probe_videos=False)
        except HMDB51AnnotationError as error:
            assert error.issues
            for issue in error.issues:
                assert issue.path.startswith((videos, splits, out)), issue
                assert str(issue).startswith(issue.path)
            assert not osp.exists(out)
            return
        classes_txt = list_from_file(osp.join(out, 'classes.txt'))
        assert classes_txt == summary.classes
        expected = _expected(videos, splits, summary.classes)
        for subset in ('train', 'val'):
            ann = osp.join(out, f'hmdb51_{subset}_split_1_videos.txt')
            if not osp.exists(ann):
                assert not expected[subset]
                continue
            assert _read_back(ann, videos) == expected[subset]
        for issue in summary.issues:
            assert issue.path.startswith((videos, splits, out)), issue


def _expected(videos, splits, classes):
    """The train / val entries a split file means, as mmaction2 reads
    them: ``(osp.join(videos, class, video), label)``."""
    expected = dict(train=[], val=[])
    for label, name in enumerate(classes):
        path = osp.join(splits, f'{name}_test_split1.txt')
        seen = set()
        with open(path, encoding='utf-8') as f:
            for line in f:
                parts = line.split()
                if len(parts) != 2 or parts[1] not in ('0', '1', '2'):
                    continue
                if parts[0] in seen:
                    continue
                seen.add(parts[0])
                rel = osp.join(name, parts[0])
                if parts[1] != '0' and osp.isfile(osp.join(videos, rel)):
                    expected['train' if parts[1] == '1' else 'val'].append(
                        (osp.join(videos, rel), label))
    return expected
