# Copyright (c) tsdistill authors. All rights reserved.
"""The model zoo: every configs/**/metafile.yml, in mmaction2's form.

Each metafile's schema (mmaction2 1.x: Collections, Models with Name,
Config, In Collection, Metadata, Results), each local model's config
built, its FLOPs and parameters counted again as the metafile states them,
and measured results whose mean and std agree with their per-seed values.
"""
import glob
import os.path as osp
import re
import statistics

import pytest
import torch
import yaml
from mmaction.registry import MODELS
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

import tsdistill  # noqa: F401  (registers the models)
from tsdistill.models.recognizers import FlowRecognizer3D

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
METAFILES = sorted(
    osp.relpath(path, REPO) for path in glob.glob(
        osp.join(REPO, 'configs', '**', 'metafile.yml'), recursive=True))
#: Metadata of a model of this repository, as mmaction2's metafiles have
LOCAL_METADATA = ('Architecture', 'Batch Size', 'Epochs', 'FLOPs',
                  'Parameters', 'Pretrained', 'Resolution', 'Training Data',
                  'Training Resources')
#: Metadata of a linked mmaction2 model (what its README states)
LINKED_METADATA = ('Architecture', 'Epochs', 'Pretrained', 'Training Data',
                   'Training Resources')
TABLE1_ROWS = ('rgb', 'tvl1', 'two-stream', 'distill')
MMACTION2_CONFIGS = 'https://github.com/open-mmlab/mmaction2/blob/'
MMACTION2_DOWNLOADS = 'https://download.openmmlab.com/mmaction/'
#: A FLOPs or parameter count as the model zoo writes it, e.g. 23.0G
COUNT = re.compile(r'^(\d+(?:\.(\d+))?)([KMGT])$')
SEED_METRIC = re.compile(r'^Top 1 Accuracy Seed (\d+)$')


def load(metafile):
    with open(osp.join(REPO, metafile)) as f:
        return yaml.safe_load(f)


def is_local(model):
    return not model['Config'].startswith('https://')


LOCAL_MODELS = [(metafile, model) for metafile in METAFILES
                for model in load(metafile)['Models'] if is_local(model)]


def test_the_config_folders_have_metafiles_and_readmes():
    assert {
        'configs/recognition/r3d18/metafile.yml', 'configs/demo/metafile.yml'
    } <= set(METAFILES)
    for metafile in METAFILES:
        folder = osp.join(REPO, osp.dirname(metafile))
        assert osp.isfile(osp.join(folder, 'README.md')), folder
        named = {model['Config'] for model in load(metafile)['Models']}
        # a model per config of the folder
        for config in glob.glob(osp.join(folder, '*.py')):
            assert osp.relpath(config, REPO) in named, config


@pytest.mark.parametrize('metafile', METAFILES)
def test_schema(metafile):
    data = load(metafile)
    assert set(data) == {'Collections', 'Models'}, metafile
    collections = {c['Name']: c for c in data['Collections']}
    assert len(collections) == len(data['Collections'])
    for collection in collections.values():
        readme = collection['README']
        assert readme.startswith(MMACTION2_CONFIGS) or osp.isfile(
            osp.join(REPO, readme)), readme
        if 'Paper' in collection:
            assert collection['Paper']['URL'].startswith('https://')
            assert collection['Paper']['Title']
    names = [model['Name'] for model in data['Models']]
    assert len(set(names)) == len(names)
    rows = []
    for model in data['Models']:
        name, meta = model['Name'], model['Metadata']
        assert model['In Collection'] in collections, name
        if is_local(model):
            assert model['Config'] == osp.join(
                osp.dirname(metafile), f'{name}.py'), name
            assert set(LOCAL_METADATA) <= set(meta), name
            assert isinstance(meta['Batch Size'], int)
            assert COUNT.match(meta['FLOPs']), meta['FLOPs']
            assert COUNT.match(meta['Parameters']), meta['Parameters']
            assert re.match(r'^\d+x\d+$', meta['Resolution'])
            # no weights or logs are published for this repository's
            # models: none may be named
            assert 'Weights' not in model and 'Training Log' not in model
        else:
            assert model['Config'].startswith(MMACTION2_CONFIGS)
            assert model['Config'].endswith(f'/{name}.py')
            assert set(LINKED_METADATA) <= set(meta), name
            assert model['Weights'].startswith(MMACTION2_DOWNLOADS)
            assert name in model['Weights']
            assert model['Training Log'].startswith(MMACTION2_DOWNLOADS)
        assert isinstance(meta['Epochs'], int) and meta['Epochs'] > 0
        for result in model.get('Results', []):
            assert result['Task'] == 'Action Recognition'
            assert result['Dataset']
            for key, value in result['Metrics'].items():
                assert isinstance(value, (int, float)), (name, key)
                assert 0 <= value <= 100, (name, key)
            assert 'Top 1 Accuracy' in result['Metrics'], name
        if 'Table 1 Row' in meta:
            assert meta['Table 1 Row'] in TABLE1_ROWS, name
            assert model.get('Results'), name
            assert meta['Results Source'], name
            rows.append(meta['Table 1 Row'])
    # each Table 1 row once: compare_results matches runs by it
    assert sorted(rows) in ([], sorted(TABLE1_ROWS)), metafile


@pytest.mark.parametrize('metafile', METAFILES)
def test_measured_means_agree_with_their_seeds(metafile):
    """Mean and sample std, from per-seed figures rounded to 0.1."""
    seeded = 0
    for model in load(metafile)['Models']:
        for result in model.get('Results', []):
            metrics = result['Metrics']
            seeds = {
                int(m.group(1)): value
                for m, value in ((SEED_METRIC.match(k), v)
                                 for k, v in metrics.items()) if m
            }
            if not seeds:
                continue
            seeded += 1
            assert len(seeds) >= 2, model['Name']
            values = list(seeds.values())
            # each figure is rounded to 0.1: the mean moves by at most
            # 0.05, the std (at 3 seeds) by about as much
            assert metrics['Top 1 Accuracy'] == pytest.approx(
                statistics.mean(values), abs=0.1), model['Name']
            assert metrics['Top 1 Accuracy Std'] == pytest.approx(
                statistics.stdev(values), abs=0.1), model['Name']
    if metafile == 'configs/demo/metafile.yml':
        assert seeded == 14


def _count(text):
    """``'23.0G'`` -> (23.0, 1e9, 1): value, unit and decimals shown."""
    number, decimals, unit = COUNT.match(text).groups()
    scale = dict(K=1e3, M=1e6, G=1e9, T=1e12)[unit]
    return float(number), scale, len(decimals or '')


def _with_checkpoints(cfg, tmp_path, teachers):
    """The model config with stand-ins for the checkpoints of earlier runs.

    A student's teacher: a freshly built one saved to ``tmp_path`` (once
    per teacher config); a two-stream model's streams: not loaded.
    """
    model = cfg.model
    if model.get('teacher_ckpt') is not None:
        teacher_cfg = model.teacher_cfg
        if teacher_cfg not in teachers:
            teacher = MODELS.build(
                Config.fromfile(osp.join(REPO, teacher_cfg)).model)
            path = str(tmp_path / f'teacher{len(teachers)}.pth')
            save_checkpoint(dict(state_dict=teacher.state_dict()), path)
            teachers[teacher_cfg] = path
        model.teacher_ckpt = teachers[teacher_cfg]
    for key in ('rgb_ckpt', 'flow_ckpt'):
        if key in model:
            model[key] = None
    return model


@pytest.fixture(scope='module')
def teachers(tmp_path_factory):
    return dict(path=tmp_path_factory.mktemp('teachers'), built={})


@pytest.mark.parametrize(
    'metafile,model', LOCAL_MODELS, ids=[m['Name'] for _, m in LOCAL_MODELS])
def test_config_builds_and_counts_as_stated(metafile, model, teachers):
    init_default_scope('mmaction')
    cfg = Config.fromfile(osp.join(REPO, model['Config']))
    meta = model['Metadata']
    # what the metafile says of training: the config's
    assert cfg.train_dataloader.batch_size == meta['Batch Size']
    pipeline = cfg.test_dataloader.dataset.pipeline
    clip_len = next(s['clip_len'] for s in pipeline
                    if s['type'] == 'SampleFrames')
    size = next(s['crop_size'] for s in pipeline if s['type'] == 'CenterCrop')
    assert meta['Resolution'] == f'{size}x{size}'
    recognizer = MODELS.build(
        _with_checkpoints(cfg, teachers['path'], teachers['built'])).eval()
    if hasattr(recognizer, 'rgb_stream'):
        # late fusion trains nothing: its epochs are its RGB stream's
        streams = [recognizer.rgb_stream, recognizer.flow_stream]
        rgb = [
            m for m in load(metafile)['Models']
            if m['Metadata'].get('Table 1 Row') == 'rgb'
        ]
        assert [m['Metadata']['Epochs'] for m in rgb] == [meta['Epochs']]
    else:
        streams = [recognizer]
        assert cfg.train_cfg.max_epochs == meta['Epochs']
    # FLOPs as mmaction2's model zoo counts them (get_flops.py:
    # get_model_complexity_info of extract_feat, here the backbones), at
    # one test clip; a flow stream reads the flow of its clip, which M1
    # (not counted) computes from T frames as T - 1 flow frames
    flops = 0
    for stream in streams:
        channels, frames = 3, clip_len
        if isinstance(stream, FlowRecognizer3D):
            # 2 (flow), or 5 (early fusion: RGB frames and their flow)
            channels = stream.backbone.in_channels
            frames = clip_len - 1 if stream.computes_flow else clip_len
        clip = torch.zeros(1, channels, frames, size, size)
        flops += get_model_complexity_info(
            stream.backbone,
            inputs=(clip, ),
            show_table=False,
            show_arch=False)['flops']
    value, scale, decimals = _count(meta['FLOPs'])
    assert round(flops / scale, decimals) == value, (flops, meta['FLOPs'])
    # parameters of the model that runs at test time: the connectors of the
    # distillation terms train only
    params = sum(p.numel() for name, p in recognizer.named_parameters()
                 if not name.startswith('connectors.'))
    value, scale, decimals = _count(meta['Parameters'])
    assert round(params / scale,
                 decimals) == value, (params, meta['Parameters'])
