# Copyright (c) tsdistill authors. All rights reserved.
"""Finding broken videos before training, crash-isolated (video_check)."""
import os.path as osp
import re
import shutil

import pytest
from _helpers.tools import REPO, load_tool
from _helpers.videos import (HMDB51_LIKE_NAMES, real_clips, truncated_copy,
                             write_hmdb51_like_clip)

from tsdistill.utils.video_check import (TruncatedVideoError, check_container,
                                         container_problem, probe_videos)

#: frames of the two real clips, sorted by name (data README)
REAL_FRAMES = [243, 82]


@pytest.fixture
def clips(tmp_path):
    """Copies of the real clips, each also cut in half and to 2 KB."""
    out = {}
    for i, clip in enumerate(real_clips()):
        name = osp.basename(clip)
        out[f'intact{i}'] = shutil.copy(clip, str(tmp_path / name))
        out[f'half{i}'] = truncated_copy(clip, str(tmp_path / 'half' / name),
                                         'half')
        out[f'small{i}'] = truncated_copy(clip, str(tmp_path / 'small' / name),
                                          2048)
    return out


def test_container_check_finds_the_cuts(clips):
    for i in range(2):
        # real HMDB51 files carry data after their RIFF chunk: not a cut
        assert container_problem(clips[f'intact{i}']) is None
        for cut in ('half', 'small'):
            problem = container_problem(clips[f'{cut}{i}'])
            assert problem.startswith('truncated AVI: its RIFF header '
                                      'declares'), problem
            with pytest.raises(
                    TruncatedVideoError, match=re.escape(clips[f'{cut}{i}'])):
                check_container(clips[f'{cut}{i}'])
    # not an AVI: nothing to check here (decoding will tell)
    assert container_problem(osp.join(REPO, 'README.md')) is None


def test_probe_survives_a_decoder_segfault(clips, tmp_path):
    # without the header check, decord reads the cuts from memory and dies
    # (SIGSEGV): the worker is restarted and the files after them checked
    text = tmp_path / 'text.avi'
    text.write_text('not a video\n' * 100)
    paths = [
        clips['intact0'], clips['half0'], clips['small1'], clips['intact1'],
        str(text),
        str(tmp_path / 'missing.avi')
    ]
    probes = probe_videos(paths, check_containers=False)
    assert list(probes) == paths
    assert [probes[p].num_frames for p in paths] == \
        REAL_FRAMES[:1] + [None, None] + REAL_FRAMES[1:] + [None, None]
    for cut in (clips['half0'], clips['small1']):
        assert probes[cut].kind == 'unreadable'
        assert probes[cut].message.startswith(f'{cut}: decord crashed '
                                              '(SIGSEGV)'), probes[cut]
    assert probes[str(text)].message.startswith(f'{text}: decord cannot '
                                                'read it')
    assert probes[paths[-1]].message == f'{paths[-1]}: no such file'
    # by default the cuts are named from their headers, without decoding
    probes = probe_videos(paths[:4], workers=2)
    assert [probes[p].kind for p in paths[:4]] == \
        [None, 'truncated', 'truncated', None]
    assert [probes[p].num_frames for p in paths[:4]] == \
        [243, None, None, 82]


def test_probe_names_a_file_that_takes_too_long(clips):
    probes = probe_videos([clips['intact0'], clips['intact1']], timeout=1e-3)
    for path, probe in probes.items():
        assert probe.kind == 'unreadable'
        assert probe.message.startswith(f'{path}: decord took longer than')


def test_generated_hmdb51_like_clips(tmp_path):
    paths = [
        write_hmdb51_like_clip(str(tmp_path / name), num_frames=30, seed=i)
        for i, name in enumerate(HMDB51_LIKE_NAMES)
    ]
    with open(paths[0], 'rb') as f:
        head = f.read(256)
    assert head[:4] == b'RIFF' and b'XVID' in head  # as OpenCV wrote it
    assert all(container_problem(p) is None for p in paths)
    probes = probe_videos(paths)
    assert [probes[p].num_frames for p in paths] == [30, 30]


def test_check_videos_tool(clips, tmp_path, capsys):
    root = osp.dirname(clips['intact0'])
    ann = tmp_path / 'list.txt'
    names = [osp.relpath(clips[k], root) for k in ('intact0', 'half1')]
    ann.write_text(f'{names[0]} 0\n\n{names[1]} 1\n')
    main = load_tool('data', 'check_videos.py').main
    assert main([str(ann), '--data-root', root]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f'{ann}:3: truncated video: {clips["half1"]}: ' +
        container_problem(clips['half1']), '2 videos checked, 1 broken'
    ]


def test_one_minimum_frame_count_in_all_three_tools(tmp_path, capsys):
    """A 1-frame video was listed by prepare_annotations and passed
    check_videos, then failed in extract_flow; a 2-frame one passes all."""
    from _helpers.videos import write_tiny_video

    from tsdistill.data_tools.flow_extraction import extract_flow
    from tsdistill.data_tools.hmdb51_annotations import prepare_annotations
    from tsdistill.utils.video_check import MIN_FRAMES
    assert MIN_FRAMES == 2  # one pair of frames for the flow
    videos, splits = tmp_path / 'videos', tmp_path / 'splits'
    splits.mkdir()
    for name, num in (('short', MIN_FRAMES - 1), ('pair', MIN_FRAMES)):
        write_tiny_video(str(videos / 'wave' / f'{name}.avi'), num_frames=num)
    (splits / 'wave_test_split1.txt').write_text('short.avi 1 \npair.avi 1 \n')
    short = str(videos / 'wave' / 'short.avi')
    message = (f'{short}: decord finds 1 frame(s); at least 2 are needed '
               '(flow is computed between consecutive frames)')
    # prepare_annotations: named with its split-file line, not listed
    summary = prepare_annotations(
        str(videos), str(splits), str(tmp_path / 'ann'), splits=(1, ))
    train = [i for i in summary.issues if i.kind != 'empty list']
    assert [str(i) for i in train] == [
        f'{splits / "wave_test_split1.txt"}:1: too short video: {message}'
    ]
    ann = tmp_path / 'ann' / 'hmdb51_train_split_1_videos.txt'
    assert ann.read_text() == 'wave/pair.avi 0\n'
    # check_videos: broken
    both = tmp_path / 'both.txt'
    both.write_text('wave/short.avi 0\nwave/pair.avi 0\n')
    main = load_tool('data', 'check_videos.py').main
    assert main([str(both), '--data-root', str(videos)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f'{both}:1: too short video: {message}', '2 videos checked, 1 broken'
    ]
    # extract_flow: fails with the same figure
    report = extract_flow(
        str(both),
        str(videos),
        str(tmp_path / 'flow'),
        device='cpu',
        progress=False,
        flow_cfg=dict(num_scales=1, num_warps=1, num_iters=1))
    assert report['done'] == ['wave/pair.avi']
    assert report['failed'] == {'wave/short.avi': message}
