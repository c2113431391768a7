# Copyright (c) tsdistill authors. All rights reserved.
"""Dataset configs: split variable, protocol, pipelines on real videos."""
import os.path as osp

import pytest
from _helpers.tools import REPO
from mmaction.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tsdistill.data_tools.hmdb51_annotations import prepare_annotations
from tsdistill.data_tools.synthetic_motion import generate_motion_dataset

HMDB51 = osp.join(REPO, 'configs', '_base_', 'datasets', 'hmdb51_video.py')
SYNTHETIC = osp.join(REPO, 'configs', '_base_', 'datasets',
                     'synthetic_motion_video.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic'))
    generate_motion_dataset(
        root,
        videos_per_class=8,
        num_frames=20,
        size=40,
        classes=('move_left', 'move_right'))
    prepare_annotations(
        osp.join(root, 'videos'),
        osp.join(root, 'testTrainMulti_7030_splits'),
        osp.join(root, 'annotations'),
        probe_videos=False)
    return root


def _transforms(pipeline):
    return [t['type'] for t in pipeline]


@pytest.mark.parametrize('split', ['1', '2', '3'])
def test_one_variable_selects_the_split(monkeypatch, split):
    monkeypatch.setenv('HMDB51_SPLIT', split)
    monkeypatch.delenv('HMDB51_ROOT', raising=False)
    cfg = Config.fromfile(HMDB51)
    ann = {loader: cfg[loader].dataset.ann_file for loader in LOADERS}
    assert ann == dict(
        train_dataloader='data/hmdb51/annotations/'
        f'hmdb51_train_split_{split}_videos.txt',
        val_dataloader='data/hmdb51/annotations/'
        f'hmdb51_val_split_{split}_videos.txt',
        test_dataloader='data/hmdb51/annotations/'
        f'hmdb51_val_split_{split}_videos.txt')
    synthetic = Config.fromfile(SYNTHETIC)
    assert synthetic.train_dataloader.dataset.ann_file.endswith(
        f'hmdb51_train_split_{split}_videos.txt')


@pytest.mark.parametrize('split', ['4', '0', '1,2', ' 1'])
def test_unknown_split_is_named(monkeypatch, split):
    monkeypatch.setenv('HMDB51_SPLIT', split)
    with pytest.raises(ValueError) as info:
        Config.fromfile(HMDB51)
    assert 'HMDB51_SPLIT must be 1, 2 or 3' in str(info.value)
    assert repr(split) in str(info.value)


def test_list_of_a_split_not_written_is_named(monkeypatch, data_root):
    # the synthetic base takes HMDB51_SPLIT too; its dataset names the list
    monkeypatch.setenv('SYNTHETIC_MOTION_ROOT', data_root)
    monkeypatch.setenv('HMDB51_SPLIT', '4')
    cfg = Config.fromfile(SYNTHETIC)
    with pytest.raises(FileNotFoundError) as info:
        _build(cfg, 'train_dataloader')
    assert 'hmdb51_train_split_4_videos.txt does not exist' in str(info.value)
    assert 'hmdb51_train_split_1_videos.txt' in str(info.value)


def test_hmdb51_root_variable(monkeypatch):
    monkeypatch.setenv('HMDB51_ROOT', '/datasets/hmdb')
    cfg = Config.fromfile(HMDB51)
    for loader in LOADERS:
        dataset = cfg[loader].dataset
        assert dataset.data_prefix == dict(video='/datasets/hmdb/videos')
        assert dataset.ann_file.startswith('/datasets/hmdb/annotations/')


def test_hmdb51_protocol():
    cfg = Config.fromfile(HMDB51)
    train = cfg.train_dataloader.dataset.pipeline
    assert _transforms(train) == [
        'DecordInit', 'SampleFrames', 'DecordDecode', 'Resize', 'RandomCrop',
        'Flip', 'FormatShape', 'PackActionInputs'
    ]
    assert train[1] == dict(
        type='SampleFrames', clip_len=25, frame_interval=1, num_clips=1)
    assert train[3].scale == (-1, 128) and train[4].size == 112
    for loader in ('val_dataloader', 'test_dataloader'):
        test = cfg[loader].dataset.pipeline
        assert 'Flip' not in _transforms(test)
        assert test[1] == dict(
            type='SampleFrames',
            clip_len=25,
            frame_interval=1,
            num_clips=1,
            test_mode=True)
        assert test[4] == dict(type='CenterCrop', crop_size=112)
        assert cfg[loader].dataset.test_mode
    assert cfg.test_pipeline_multiclip[1].num_clips == 5
    assert cfg.val_evaluator == dict(
        type='AccMetric',
        metric_list=('top_k_accuracy', 'mean_class_accuracy'),
        metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))


def test_hmdb51_shares_the_synthetic_base():
    """HMDB51 differs from the CPU-sized dataset only in its data, clip
    sizes, pipelines and batch sizes."""
    hmdb51, synthetic = Config.fromfile(HMDB51), Config.fromfile(SYNTHETIC)
    for loader in LOADERS:
        own = []
        for cfg in (hmdb51[loader].to_dict(), synthetic[loader].to_dict()):
            for key in ('batch_size', 'num_workers'):
                cfg.pop(key)
            for key in ('ann_file', 'data_prefix', 'pipeline'):
                cfg['dataset'].pop(key)
            own.append(cfg)
        assert own[0] == own[1], loader
    for key in ('dataset_type', 'val_evaluator', 'test_evaluator',
                'custom_hooks'):
        assert hmdb51[key] == synthetic[key], key


def _build(cfg, loader):
    init_default_scope('mmaction')
    return DATASETS.build(cfg[loader].dataset)


def test_synthetic_config_samples(monkeypatch, data_root):
    monkeypatch.setenv('SYNTHETIC_MOTION_ROOT', data_root)
    cfg = Config.fromfile(SYNTHETIC)
    assert 'Flip' not in _transforms(cfg.train_dataloader.dataset.pipeline)
    train = _build(cfg, 'train_dataloader')
    test = _build(cfg, 'test_dataloader')
    assert len(train) == 2 * 6 and len(test) == 2 * 2  # 8 videos: 6 / 2
    sample = train[0]
    assert sample['inputs'].shape == (1, 3, 16, 32, 32)
    assert test[0]['inputs'].shape == (1, 3, 16, 32, 32)
    # the test view (centre clip, centre crop) is the same every time
    assert (test[1]['inputs'] == test[1]['inputs']).all()


def test_hmdb51_pipelines_on_videos(monkeypatch, data_root):
    monkeypatch.setenv('HMDB51_ROOT', data_root)
    cfg = Config.fromfile(HMDB51)
    assert _build(cfg, 'train_dataloader')[0]['inputs'].shape == (1, 3, 25,
                                                                  112, 112)
    cfg.merge_from_dict({'test_dataloader.dataset.pipeline.1.num_clips': 5})
    test = _build(cfg, 'test_dataloader')
    # 5 clips of one video: averaged by the head into one prediction
    assert test[0]['inputs'].shape == (5, 3, 25, 112, 112)
    assert _build(cfg,
                  'val_dataloader')[0]['inputs'].shape == (1, 3, 25, 112, 112)


@pytest.mark.parametrize('path', [HMDB51, SYNTHETIC])
def test_dataset_bases_register_their_hooks(path):
    """Every experiment inherits the broken-video report and the random
    state checkpointing that makes --resume continue the same draws."""
    from mmengine.registry import HOOKS

    from tsdistill.datasets.video_dataset import BrokenVideoReportHook
    from tsdistill.engine import RandomStateHook
    init_default_scope('mmaction')
    hooks = [HOOKS.build(cfg) for cfg in Config.fromfile(path).custom_hooks]
    assert [type(h) for h in hooks] == [BrokenVideoReportHook, RandomStateHook]
