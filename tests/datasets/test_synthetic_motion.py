# Copyright (c) tsdistill authors. All rights reserved.
"""The embedded motion dataset: layout, determinism, no appearance cue."""
import os
import os.path as osp

import decord
import numpy as np
import pytest

from tsdistill.datasets.hmdb51_annotations import prepare_annotations
from tsdistill.datasets.synthetic_motion import (DEFAULT_CLASSES,
                                                 DEFAULT_MIXED_MOTIONS,
                                                 generate_motion_dataset,
                                                 render_video)


def _generate(root, seed=0, videos_per_class=6):
    generate_motion_dataset(
        str(root),
        videos_per_class=videos_per_class,
        num_frames=6,
        size=32,
        seed=seed)
    summary = prepare_annotations(
        osp.join(root, 'videos'), osp.join(root, 'testTrainMulti_7030_splits'),
        osp.join(root, 'ann'))
    return summary


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def test_layout_and_decord_reads_the_videos(tmp_path):
    _generate(tmp_path / 'a')
    video = osp.join(tmp_path, 'a', 'videos', 'move_left', 'move_left_000.avi')
    reader = decord.VideoReader(video)
    assert len(reader) == 6
    assert reader[0].shape == (32, 32, 3)
    for name in DEFAULT_CLASSES:
        for split in (1, 2, 3):
            assert osp.isfile(
                osp.join(tmp_path, 'a', 'testTrainMulti_7030_splits',
                         f'{name}_test_split{split}.txt'))


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    _generate(tmp_path / 'a', seed=3)
    _generate(tmp_path / 'b', seed=3)
    _generate(tmp_path / 'c', seed=4)
    for name in ('hmdb51_train_split_1_videos.txt',
                 'hmdb51_val_split_2_videos.txt', 'classes.txt'):
        assert _read(tmp_path / 'a' / 'ann' / name) == _read(tmp_path / 'b' /
                                                             'ann' / name)
    video = osp.join('videos', 'zoom_in', 'zoom_in_001.avi')
    assert _read(tmp_path / 'a' / video) == _read(tmp_path / 'b' / video)
    assert _read(tmp_path / 'a' / video) != _read(tmp_path / 'c' / video)
    assert _read(tmp_path / 'a' / 'ann' / 'hmdb51_train_split_1_videos.txt') \
        != _read(tmp_path / 'c' / 'ann' / 'hmdb51_train_split_1_videos.txt')


def _mean_colour_features(root, ann, object_only=False):
    """Per-video mean RGB of the clip, or of the object (``object_only``:
    the centre of the middle frame, where the object's path is centred)."""
    feats, labels = [], []
    with open(osp.join(root, 'ann', ann)) as f:
        for line in f:
            rel, label = line.split()
            frames = decord.VideoReader(osp.join(root, 'videos', rel))
            clip = frames.get_batch(range(len(frames))).asnumpy()
            if object_only:
                mid, size = len(clip) // 2, clip.shape[1]
                clip = clip[mid, size // 2 - 3:size // 2 + 3,
                            size // 2 - 3:size // 2 + 3]
            feats.append(clip.reshape(-1, 3).mean(0))
            labels.append(int(label))
    return np.array(feats), np.array(labels)


def test_classes_not_separable_by_mean_colour(tmp_path):
    root = tmp_path / 'd'
    _generate(root, videos_per_class=20)
    x_train, y_train = _mean_colour_features(
        root, 'hmdb51_train_split_1_videos.txt')
    x_test, y_test = _mean_colour_features(root,
                                           'hmdb51_val_split_1_videos.txt')
    # nearest class centroid on per-video mean RGB
    classes = np.unique(y_train)
    centroids = np.stack([x_train[y_train == c].mean(0) for c in classes])
    dist = ((x_test[:, None] - centroids[None])**2).sum(-1)
    accuracy = (classes[dist.argmin(1)] == y_test).mean()
    chance = 1 / len(classes)
    # 8 classes x 6 test videos: chance 12.5 %; motion would give 100 %
    assert accuracy < chance + 0.15, accuracy


def test_size_decord_misreads_is_refused(tmp_path):
    with pytest.raises(ValueError, match='decord cannot read back 48x48'):
        generate_motion_dataset(
            str(tmp_path), videos_per_class=1, num_frames=2, size=48)


def test_cli_defaults_are_the_library_defaults(tmp_path, capsys):
    from importlib import util
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    spec = util.spec_from_file_location(
        'generate',
        osp.join(repo, 'tools', 'data', 'synthetic',
                 'generate_motion_dataset.py'))
    cli = util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    args = cli.parse_args([str(tmp_path)])
    assert (args.videos_per_class, args.num_frames, args.size, args.seed,
            args.classes, args.mode, args.colours) == (40, 24, 40, 0, None,
                                                       'motion', None)
    # the default size is one decord reads (the check runs on video 0)
    cli.main([
        str(tmp_path), '--videos-per-class', '2', '--num-frames', '3',
        '--classes', 'oscillate', 'zoom_out', '--quiet'
    ])
    assert 'wrote 4 videos of 2 classes' in capsys.readouterr().out
    reader = decord.VideoReader(
        osp.join(tmp_path, 'videos', 'zoom_out', 'zoom_out_001.avi'))
    assert len(reader) == 3 and reader[0].shape == (40, 40, 3)
    cli.main([
        str(tmp_path / 'mixed'), '--videos-per-class', '1', '--num-frames',
        '3', '--mode', 'mixed', '--colours', 'green', 'yellow', '--classes',
        'static', '--quiet'
    ])
    assert 'wrote 2 videos of 2 classes' in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path / 'mixed' /
                             'videos')) == ['green_static', 'yellow_static']


def test_split_ids_hmdb51_proportions():
    from tsdistill.datasets.synthetic_motion import split_ids
    rng = np.random.default_rng(0)
    for _ in range(3):  # one draw per split
        ids = split_ids(100, rng)
        # HMDB51: 70 train / 30 test of the used videos, some unused
        assert (ids.count(1), ids.count(2), ids.count(0)) == (67, 28, 5)


def test_mixed_colour_has_equal_grey_levels_and_flow():
    """Flow cannot see the mixed-cue colour: same grey levels, same M1."""
    import torch

    from tsdistill.datasets.synthetic_motion import COLOURS, render_video
    from tsdistill.models.flow import TVL1OpticalFlow
    from tsdistill.models.flow.image_filters import RGB_TO_GREY
    videos = {
        colour: render_video('move_right', np.random.default_rng(7), 8, 40,
                             colour)
        for colour in COLOURS
    }
    grey_weights = np.array(RGB_TO_GREY[::-1])  # frames are BGR
    grey = {c: v.astype(np.float64) @ grey_weights for c, v in videos.items()}
    red, blue = videos['red'].astype(float), videos['blue'].astype(float)
    # the colours differ where the object is ...
    assert np.abs(red - blue).max() > 40
    # ... and the grey levels only by uint8 rounding
    for colour in COLOURS:
        assert np.abs(grey[colour] - grey['red']).max() <= 1.0

    def flow(frames):
        clip = torch.from_numpy(frames[..., ::-1].copy()).float()
        clip = clip.permute(3, 0, 1, 2)[None]  # (1, 3, T, H, W) RGB
        return TVL1OpticalFlow(num_scales=1, num_warps=1, num_iters=30)(clip)

    with torch.no_grad():
        red_flow, blue_flow = flow(videos['red']), flow(videos['blue'])
    # the object moves right by 0.5..1 px per frame
    assert red_flow.abs().max() > 0.3
    # uint8 rounding of the grey levels moves the flow by < 0.1 px
    assert (red_flow - blue_flow).abs().max() < 0.1
    assert (red_flow - blue_flow).abs().mean() < 0.01


def test_mixed_cues_are_independent(tmp_path):
    """The object's mean colour tells the colour of a mixed-cue class, not
    its motion."""
    from tsdistill.datasets.synthetic_motion import (DEFAULT_MIXED_COLOURS,
                                                     DEFAULT_MIXED_MOTIONS,
                                                     class_names)
    root = tmp_path / 'm'
    generate_motion_dataset(
        str(root), videos_per_class=20, num_frames=6, size=32, mode='mixed')
    summary = prepare_annotations(
        osp.join(root, 'videos'), osp.join(root, 'testTrainMulti_7030_splits'),
        osp.join(root, 'ann'))
    assert summary.counts[(1, 'val')] == 8 * 6
    names = class_names('mixed')
    assert len(names) == 8 and names[0] == 'red_move_left'
    x_train, y_train = _mean_colour_features(
        root, 'hmdb51_train_split_1_videos.txt', object_only=True)
    x_test, y_test = _mean_colour_features(
        root, 'hmdb51_val_split_1_videos.txt', object_only=True)
    num_motions = len(DEFAULT_MIXED_MOTIONS)
    assert len(DEFAULT_MIXED_COLOURS) == 2

    def nearest_centroid(train_labels, test_labels):
        classes = np.unique(train_labels)
        centroids = np.stack(
            [x_train[train_labels == c].mean(0) for c in classes])
        dist = ((x_test[:, None] - centroids[None])**2).sum(-1)
        return (classes[dist.argmin(1)] == test_labels).mean()

    # labels are colour-major: label = colour * num_motions + motion
    colour_acc = nearest_centroid(y_train // num_motions,
                                  y_test // num_motions)
    motion_acc = nearest_centroid(y_train % num_motions, y_test % num_motions)
    assert colour_acc > 0.9, colour_acc
    # 4 motions: chance 25 %; 48 test videos
    assert motion_acc < 0.25 + 0.15, motion_acc


@pytest.mark.parametrize('motion', DEFAULT_MIXED_MOTIONS)
def test_mixed_object_position_does_not_tell_the_motion(motion):
    """The camera follows the coloured object: it stays put in the frame,
    the background carries the motion (an RGB model that followed the
    coloured object learnt the translations: 97.7 %)."""

    def centroid_path(track):
        red, blue = (
            render_video(motion, np.random.default_rng(5), 12, 40, colour,
                         track) for colour in ('red', 'blue'))
        # two colours, same draws: they differ exactly on the object
        mask = np.abs(red.astype(float) - blue).sum(-1) > 20
        ys, xs = np.mgrid[:40, :40]
        return np.array([[(xs * m).sum() / m.sum(), (ys * m).sum() / m.sum()]
                         for m in mask])

    tracked, untracked = centroid_path(None), centroid_path(False)
    assert np.abs(tracked[-1] - tracked[0]).max() < 1.0
    # without tracking the object crosses 5.5..11 px in 11 frames
    assert np.abs(untracked[-1] - untracked[0]).max() > 4.0
    # the background moves instead: the mixed flow test above checks M1
    # sees that motion
