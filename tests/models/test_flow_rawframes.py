# Copyright (c) tsdistill authors. All rights reserved.
"""The teacher on precomputed flow equals the teacher computing it (M1).

Tiny clips (6 frames of 40x64, a texture translating at a known velocity)
are written as MJPG videos; ``extract_flow`` (M1) turns them into
mmaction2 flow rawframes; mmaction2's ``RawframeDataset`` reads them back
with the normalisation of the rawframes config. A ``FlowRecognizer3D``
computing flow with the same M1 from the same decoded frames must feed M2
the same input within quantisation and predict the same.
"""
import copy
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from _helpers.recognizers import (MEAN, STD, build, sgd, tiny_backbone,
                                  tiny_head)
from _helpers.tools import REPO
from mmaction.registry import DATASETS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

from tsdistill.benchmarks import flow_synthetic as fs
from tsdistill.data_tools.flow_extraction import extract_flow, read_done_marker
from tsdistill.models.recognizers.checkpoint import load_checkpoint_strict
from tsdistill.utils.flow_io import (FLOW_X_TMPL, FLOW_Y_TMPL, flow_jpeg_paths,
                                     read_flow_jpegs)

CONFIG = osp.join(REPO, 'configs', 'recognition', 'r3d18',
                  'r3d18_8xb8-24x1x1-100e_hmdb51-split1-tvl1-rawframes.py')
#: mmaction2's own rawframe test data (see ../shared/data/README.md)
MMACTION2_FRAMES = os.environ.get(
    'TSDISTILL_MMACTION2_FRAMES',
    osp.join(REPO, '..', 'shared', 'data', 'mmaction2_frames'))
FRAMES, HEIGHT, WIDTH = 6, 40, 64  # decord 0.6 needs MJPG widths of 64
#: one clip per class: velocities (px per frame) with distinct u and v
VELOCITIES = [(1.0, -0.5), (-2.0, 1.5), (0.5, 3.0), (-3.0, -2.5)]
#: M1 for extraction (raw 0..255 frames) and, with mean / std, in the model
M1 = dict(num_scales=2, num_warps=2, num_iters=10)
#: one quantum of M2's input: 2 / 255 of the flow bound (0.157 px of 20)
QUANTUM = 2 / 255


def write_clip(path, velocity, seed):
    clip = fs.make_translation_clip(
        FRAMES, HEIGHT, WIDTH, velocity=velocity, seed=seed)
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (WIDTH, HEIGHT))
    for frame in clip:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """Videos, their list, the extracted flow and its rawframe list."""
    root = str(tmp_path_factory.mktemp('flow_rawframes'))
    videos = osp.join(root, 'videos')
    lines = []
    for label, velocity in enumerate(VELOCITIES):
        rel = f'class{label}/Clip!_({label})_-_+.avi'
        write_clip(osp.join(videos, rel), velocity, seed=label)
        lines.append(f'{rel} {label}\n')
    video_list = osp.join(root, 'videos.txt')
    with open(video_list, 'w') as f:
        f.writelines(lines)
    flow = osp.join(root, 'flow_tvl1')
    report = extract_flow(
        video_list, videos, flow, flow_cfg=M1, device='cpu', progress=False)
    assert not report['failed'], report['failed']
    assert len(report['done']) == len(VELOCITIES)
    # the rawframe list, as prepare_annotations writes it from the markers
    rawframes = osp.join(root, 'rawframes.txt')
    with open(rawframes, 'w') as f:
        for label in range(len(VELOCITIES)):
            rel = f'class{label}/Clip!_({label})_-_+'
            marker = read_done_marker(osp.join(flow, rel))
            f.write(f'{rel} {marker["num_pairs"]} {label}\n')
    return dict(
        videos=videos, video_list=video_list, flow=flow, rawframes=rawframes)


def rawframe_dataset(cfg, data, pipeline):
    """The config's test dataset on the tiny rawframes."""
    init_default_scope('mmaction')  # whatever Runner ran before
    dataset = copy.deepcopy(cfg.test_dataloader.dataset.to_dict())
    dataset.update(
        ann_file=data['rawframes'],
        data_prefix=dict(img=data['flow']),
        pipeline=pipeline)
    return DATASETS.build(dataset)


def test_rawframes_config_reads_extracted_flow(data):
    cfg = Config.fromfile(CONFIG)
    model = cfg.model
    assert model.type == 'FlowRecognizer3D' and model.flow_cfg is None
    assert model.backbone.in_channels == 2
    # the file names tools/extract_flow.py writes
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert dataset.type == 'RawframeDataset'
        assert dataset.modality == 'Flow' and dataset.start_index == 1
        assert dataset.filename_tmpl.format('x', 7) == FLOW_X_TMPL.format(7)
        assert dataset.filename_tmpl.format('y', 7) == FLOW_Y_TMPL.format(7)
    # the config's own pipelines on the extracted flow (5 flow frames,
    # looped to the 24 of a clip; resized to 128, cropped to 112)
    for loader, pipeline in (('test_dataloader', cfg.test_pipeline),
                             ('train_dataloader', cfg.train_pipeline)):
        dataset = rawframe_dataset(cfg, data, pipeline)
        sample = dataset[1]
        assert sample['inputs'].shape == (1, 2, 24, 112, 112)
        assert sample['data_samples'].gt_label.item() == 1


def test_config_reads_mmaction2s_own_flow_rawframes(tmp_path):
    """The config's dataset settings on mmaction2's sample folder."""
    if not osp.isdir(MMACTION2_FRAMES):
        pytest.skip(f'no mmaction2 rawframe samples in {MMACTION2_FRAMES}')
    cfg = Config.fromfile(CONFIG)
    rawframes = tmp_path / 'rawframes.txt'
    rawframes.write_text(f'{osp.basename(MMACTION2_FRAMES)} 5 0\n')
    pipeline = [
        dict(
            type='SampleFrames',
            clip_len=5,
            frame_interval=1,
            num_clips=1,
            test_mode=True),
        dict(type='RawFrameDecode'),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')
    ]
    data = dict(rawframes=str(rawframes), flow=osp.dirname(MMACTION2_FRAMES))
    inputs = rawframe_dataset(cfg, data, pipeline)[0]['inputs']
    assert inputs.shape == (1, 2, 5, 240, 320)
    # mmaction2's loader and tsdistill's reader open the same files
    flows = read_flow_jpegs(MMACTION2_FRAMES)
    for t in range(5):
        for c, path in enumerate(flow_jpeg_paths(MMACTION2_FRAMES, t + 1)):
            q = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
            np.testing.assert_array_equal(inputs[0, c, t].numpy(), q)
            np.testing.assert_allclose(
                flows[t, ..., c], (q + 0.5) * 40 / 255 - 20, atol=1e-4)


def test_precomputed_flow_teacher_matches_m1_teacher(data, tmp_path):
    init_default_scope('mmaction')  # whatever Runner ran before
    cfg = Config.fromfile(CONFIG)
    num = len(VELOCITIES)
    # B: M2 on the rawframes, normalised as the config does
    rawframes_model = dict(
        type='FlowRecognizer3D',
        flow_cfg=None,
        flow_bound=20.0,
        backbone=tiny_backbone(2),
        cls_head=dict(tiny_head(32), num_classes=num),
        data_preprocessor=dict(
            type='ActionDataPreprocessor',
            mean=cfg.model.data_preprocessor.mean,
            std=cfg.model.data_preprocessor.std,
            format_shape='NCTHW'))
    # A: the same M2 behind M1, on the RGB clip
    m1_model = dict(
        rawframes_model,
        flow_cfg=dict(type='TVL1OpticalFlow', **M1),
        data_preprocessor=dict(
            type='ActionDataPreprocessor',
            mean=MEAN,
            std=STD,
            format_shape='NCTHW'))
    # the whole clip, no resizing: flow is in pixels of the frames it was
    # computed on
    flow_pipeline = [
        dict(
            type='SampleFrames',
            clip_len=FRAMES - 1,
            frame_interval=1,
            num_clips=1,
            test_mode=True),
        dict(type='RawFrameDecode'),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')
    ]
    flow_batch = pseudo_collate(
        [rawframe_dataset(cfg, data, flow_pipeline)[i] for i in range(num)])
    videos = DATASETS.build(
        dict(
            type='VideoDataset',
            ann_file=data['video_list'],
            data_prefix=dict(video=data['videos']),
            pipeline=[
                dict(type='DecordInit'),
                dict(
                    type='SampleFrames',
                    clip_len=FRAMES,
                    frame_interval=1,
                    num_clips=1,
                    test_mode=True),
                dict(type='DecordDecode'),
                dict(type='FormatShape', input_format='NCTHW'),
                dict(type='PackActionInputs')
            ],
            test_mode=True))
    rgb_batch = pseudo_collate([videos[i] for i in range(num)])

    # train M2 on the precomputed flow until it tells the clips apart
    precomputed = build(rawframes_model, seed=0)
    optim = sgd(precomputed, lr=0.05)
    for _ in range(30):
        precomputed.train_step(flow_batch, optim)
    precomputed.eval()
    # and use it behind M1, loaded as the distilled student loads its
    # teacher (M1's buffers are not in the checkpoint)
    ckpt = str(tmp_path / 'rawframes_teacher.pth')
    save_checkpoint(dict(state_dict=precomputed.state_dict()), ckpt)
    computed = build(m1_model, seed=1)
    load_checkpoint_strict(
        computed, ckpt, what='teacher', optional_prefixes=('flow.', ))
    computed.eval()

    with torch.no_grad():
        flow_a = computed.flow_inputs(
            computed.data_preprocessor(rgb_batch)['inputs'].flatten(0, 1))
        flow_b = precomputed.data_preprocessor(flow_batch)['inputs'].flatten(
            0, 1)
        scores_a = torch.stack(
            [p.pred_score for p in computed.test_step(rgb_batch)])
        scores_b = torch.stack(
            [p.pred_score for p in precomputed.test_step(flow_batch)])

    # M2's input: the same flow frames, x in channel 0, y in channel 1
    assert flow_a.shape == flow_b.shape == (num, 2, FRAMES - 1, HEIGHT, WIDTH)
    for i, (u, v) in enumerate(VELOCITIES):
        assert flow_b[i, 0].mean() * 20 == pytest.approx(u, abs=0.5)
        assert flow_b[i, 1].mean() * 20 == pytest.approx(v, abs=0.5)
    diff = (flow_b - flow_a) / QUANTUM
    # no bias: bin centres read back (mmaction2's mean = std = 128 would
    # shift every value by about -1 quantum)
    assert abs(diff.mean().item()) < 0.1
    # within quantisation: rounding to bin centres alone gives 0.25 on
    # average and 0.5 at most; JPEG (quality 95) adds some, most at the
    # texture's edges
    assert diff.abs().mean().item() < 0.75
    assert diff.abs().flatten().quantile(0.99).item() < 4

    # the same predictions: the trained classes, from either input ...
    labels = list(range(num))
    assert scores_b.argmax(1).tolist() == labels
    assert scores_a.argmax(1).tolist() == labels
    # ... with class scores that differ far less than the margin between
    # the best and second class
    top2 = scores_b.topk(2, dim=1).values
    margin = (top2[:, 0] - top2[:, 1]).min().item()
    assert (scores_a - scores_b).abs().max().item() < 0.1 * margin
    assert (scores_a - scores_b).abs().max().item() < 0.02
    print(f'M2 input |diff|: mean {diff.abs().mean():.2f}, max '
          f'{diff.abs().max():.2f} quanta; scores max |diff| '
          f'{(scores_a - scores_b).abs().max():.4f}, margin {margin:.3f}')
