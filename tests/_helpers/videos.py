# Copyright (c) tsdistill authors. All rights reserved.
"""Tiny generated test videos (no downloads)."""
import os
import os.path as osp

import cv2
import numpy as np


def write_tiny_video(path: str,
                     num_frames: int = 12,
                     size: int = 32,
                     shift: int = 1,
                     seed: int = 0) -> str:
    """Write a textured square moving ``shift`` px per frame as MJPG .avi."""
    rng = np.random.default_rng(seed)
    texture = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (size, size))
    for t in range(num_frames):
        writer.write(np.roll(texture, shift * t, axis=1))
    writer.release()
    return path


def tiny_video_loader(data_root: str, ann_file: str, test_mode: bool) -> dict:
    """A Runner dataloader over ``tiny_video_list``'s videos (conftest).

    Batches of 2 clips of 8 frames at 32x32 (short side 32, centre crop),
    shuffled for training; ``test_mode`` samples the centre clip.
    """
    pipeline = [
        dict(type='DecordInit'),
        dict(
            type='SampleFrames',
            clip_len=8,
            frame_interval=1,
            num_clips=1,
            test_mode=test_mode),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(-1, 32)),
        dict(type='CenterCrop', crop_size=32),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')
    ]
    return dict(
        batch_size=2,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=not test_mode),
        dataset=dict(
            type='VideoDataset',
            ann_file=ann_file,
            data_prefix=dict(video=data_root),
            pipeline=pipeline,
            test_mode=test_mode))


#: Real HMDB51 clips (XviD, 320x240, 30 fps; see ../shared/data/README.md)
REAL_CLIPS_DIR = os.environ.get(
    'TSDISTILL_REAL_CLIPS',
    osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), '..',
        'shared', 'data', 'hmdb51_clips'))

#: Names as HMDB51 has them: parentheses, brackets, '!', '+', '_-_'
HMDB51_LIKE_NAMES = (
    'American_Idol_+_Hit!_(Part_2)_-_Best_Of_clap_u_nm_np1_fr_med_0.avi',
    '[HD]_Kick_-_Ups!!_(slow)_kick_ball_f_cm_np1_ba_goo_1.avi',
)


def real_clips() -> list:
    """The real HMDB51 clips (sorted paths); skips the test without them."""
    import pytest
    if not osp.isdir(REAL_CLIPS_DIR):
        pytest.skip(f'no real clips in {REAL_CLIPS_DIR}')
    clips = sorted(
        osp.join(REAL_CLIPS_DIR, name) for name in os.listdir(REAL_CLIPS_DIR)
        if name.endswith('.avi'))
    if not clips:
        pytest.skip(f'no .avi in {REAL_CLIPS_DIR}')
    return clips


def truncated_copy(src: str, dst: str, size) -> str:
    """Copy the first ``size`` bytes (an int, or ``'half'``) of ``src``."""
    with open(src, 'rb') as f:
        data = f.read()
    if size == 'half':
        size = len(data) // 2
    os.makedirs(osp.dirname(dst) or '.', exist_ok=True)
    with open(dst, 'wb') as f:
        f.write(data[:size])
    return dst


def write_hmdb51_like_clip(path: str,
                           num_frames: int = 30,
                           seed: int = 0) -> str:
    """An XviD .avi like HMDB51's: 320x240 at 30 fps, a drifting texture.

    Falls back to MJPG if this OpenCV build cannot write XviD (the file
    then says so in its fourcc; the tests check XviD where it matters).
    """
    rng = np.random.default_rng(seed)
    # smooth texture (a compressible, trackable pattern) plus a moving box
    base = cv2.resize(
        rng.integers(0, 256, (30, 40, 3), dtype=np.uint8), (360, 280),
        interpolation=cv2.INTER_CUBIC)
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'XVID'), 30,
                             (320, 240))
    if not writer.isOpened():
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 30,
                                 (320, 240))
    for t in range(num_frames):
        frame = base[t % 40:t % 40 + 240, t:t + 320].copy()
        cv2.rectangle(frame, (40 + 3 * t, 100), (80 + 3 * t, 140),
                      (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    return path


def motion_video_list(tmp_path, classes, videos_per_class: int,
                      **generator_kwargs) -> tuple:
    """The embedded generator's videos under ``tmp_path/data`` and a list.

    Returns:
        tuple: ``(list file, videos root)``; the list names every video,
        labelled by the index of its class in ``classes``.
    """
    from tsdistill.data_tools.synthetic_motion import generate_motion_dataset
    root = str(tmp_path / 'data')
    generate_motion_dataset(
        root,
        videos_per_class=videos_per_class,
        classes=classes,
        **generator_kwargs)
    ann = tmp_path / 'list.txt'
    ann.write_text(''.join(f'{c}/{c}_{k:03d}.avi {i}\n'
                           for i, c in enumerate(classes)
                           for k in range(videos_per_class)))
    return str(ann), osp.join(root, 'videos')
