# Copyright (c) tsdistill authors. All rights reserved.
"""The backbones in channels-last layout: the same network, other strides.

``backbones_to_channels_last`` on a two-stream model (RGB network and M1 +
M2), and ``ChannelsLastHook`` in a real Runner: one epoch on the tiny video
set with and without it, from the same seed.
"""
import copy

import pytest
import torch
from _helpers.launch import (TEACHER, experiment_cfg, make_video_dataset,
                             recognizer_cfg)
from mmaction.registry import MODELS
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tsdistill.utils.memory_format import backbones_to_channels_last

CHANNELS_LAST = torch.channels_last_3d


def _weights_5d(module):
    return [p for p in module.parameters() if p.dim() == 5]


def _is_channels_last(module):
    return all(
        p.is_contiguous(memory_format=CHANNELS_LAST)
        for p in _weights_5d(module))


def test_backbones_to_channels_last_keeps_the_network():
    torch.manual_seed(0)
    model = torch.nn.ModuleDict(
        dict(
            rgb_stream=MODELS.build(recognizer_cfg()),
            flow_stream=MODELS.build(TEACHER))).eval()
    contiguous = copy.deepcopy(model)
    names = backbones_to_channels_last(model)
    assert names == ['rgb_stream.backbone', 'flow_stream.backbone']
    for name in names:
        backbone = model.get_submodule(name)
        assert _is_channels_last(backbone)
        # (a 1x1x1 kernel is both; the 3x3x3 ones are not)
        assert any(not p.is_contiguous() for p in _weights_5d(backbone))
    # M1's kernels and the preprocessor's mean keep their layout
    flow = model['flow_stream']
    assert flow.flow.image_grad_kernel.is_contiguous()
    assert flow.data_preprocessor.mean.is_contiguous()
    # the same values, so the same outputs to float rounding; the state
    # dict loads into a contiguous model
    for name, p in model.state_dict().items():
        torch.testing.assert_close(
            p, contiguous.state_dict()[name], rtol=0, atol=0)
    torch.manual_seed(1)
    clips = torch.randn(2, 3, 8, 24, 24)
    with torch.no_grad():
        flow = contiguous['flow_stream'].backbone_inputs(clips)
        for stream, inputs in (('rgb_stream', clips), ('flow_stream', flow)):
            out = model[stream].backbone(inputs)
            expected = contiguous[stream].backbone(inputs)
            assert out.is_contiguous(memory_format=CHANNELS_LAST)
            torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)
    reloaded = copy.deepcopy(contiguous)
    reloaded.load_state_dict(model.state_dict())
    assert all(p.is_contiguous() for p in reloaded.parameters())


class _RecordStart(Hook):
    """The backbone's weights and their layout when training starts, and
    their layout when it ends."""

    priority = 'LOWEST'  # after ChannelsLastHook

    def before_train(self, runner):
        backbone = runner.model.backbone
        self.start = copy.deepcopy(backbone.state_dict())
        self.channels_last_at_start = _is_channels_last(backbone)

    def after_train(self, runner):
        self.channels_last_at_end = _is_channels_last(runner.model.backbone)


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return make_video_dataset(str(tmp_path_factory.mktemp('cl_data')))


def _train(data, work_dir, hooks):
    record = _RecordStart()
    cfg = experiment_cfg(
        recognizer_cfg(),
        data,
        num_workers=0,
        probe=False,
        hooks=[*hooks, record])
    cfg.pop('custom_imports')
    cfg['env_cfg']['dist_cfg']['backend'] = 'gloo'
    runner = Runner(work_dir=work_dir, **cfg)
    runner.train()
    return record, runner


def test_hook_trains_the_same_network_channels_last(tmp_path, data):
    plain, _ = _train(data, str(tmp_path / 'plain'), [])
    converted, runner = _train(data, str(tmp_path / 'cl'),
                               [dict(type='ChannelsLastHook')])
    assert not plain.channels_last_at_start
    # converted after the weights were drawn: the same initial network
    assert converted.channels_last_at_start
    for name, value in plain.start.items():
        torch.testing.assert_close(
            converted.start[name], value, rtol=0, atol=0, msg=name)
    # the optimizer's in-place updates keep the layout
    assert converted.channels_last_at_end
    # its checkpoint loads into a plain Recognizer3D
    ckpt = torch.load(str(tmp_path / 'cl' / 'epoch_1.pth'), map_location='cpu')
    fresh = MODELS.build(recognizer_cfg())
    fresh.load_state_dict(ckpt['state_dict'])
    for name, value in runner.model.state_dict().items():
        torch.testing.assert_close(
            fresh.state_dict()[name], value, rtol=0, atol=0, msg=name)
