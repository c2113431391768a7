# Copyright (c) tsdistill authors. All rights reserved.
"""configs/_base_/default_runtime.py: mmaction2's, the plugin and a switch."""
import glob
import importlib.util
import os.path as osp

import mmaction
import pytest
from _helpers.tools import REPO
from _helpers.toy_runner import build_toy_runner
from mmengine.config import Config

RUNTIME = osp.join(REPO, 'configs', '_base_', 'default_runtime.py')
DEMO_RGB = osp.join(REPO, 'configs', 'demo',
                    'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-rgb.py')
MMACTION_RUNTIME = osp.join(
    osp.dirname(mmaction.__file__), '.mim', 'configs', '_base_',
    'default_runtime.py')
HAS_TENSORBOARD = importlib.util.find_spec('tensorboard') is not None


def load(monkeypatch, value):
    if value is None:
        monkeypatch.delenv('TSDISTILL_TENSORBOARD', raising=False)
    else:
        monkeypatch.setenv('TSDISTILL_TENSORBOARD', value)
    return Config.fromfile(RUNTIME)


def test_mmaction2_runtime_but_the_stated_differences(monkeypatch):
    """The copy of mmaction2's runtime stays mmaction2's (the config says
    why it does not inherit it)."""
    monkeypatch.delenv('TSDISTILL_TENSORBOARD', raising=False)
    # the backend variable is the tools' (tests/tools/test_mmaction_tools.py,
    # tests/engine/test_ddp.py): the config does not read it
    monkeypatch.setenv('TSDISTILL_DIST_BACKEND', 'gloo')
    ours = Config.fromfile(RUNTIME).to_dict()
    theirs = Config.fromfile(MMACTION_RUNTIME).to_dict()
    assert ours['default_hooks']['checkpoint'].pop('max_keep_ckpts') == 3
    assert ours.pop('custom_imports') == dict(
        imports=['tsdistill'], allow_failed_imports=False)
    assert ours == theirs


def test_off_by_default_and_config_unchanged(monkeypatch):
    cfg = load(monkeypatch, None)
    assert cfg.visualizer.vis_backends == [dict(type='LocalVisBackend')]
    # the switch itself is not a config key: with it off, configs (and
    # table1's config digests of finished runs) are what they were
    assert not [k for k in cfg.keys() if 'tensorboard' in k.lower()]
    assert load(monkeypatch, '0').pretty_text == cfg.pretty_text


def test_on_adds_the_tensorboard_backend(monkeypatch):
    cfg = load(monkeypatch, '1')
    assert cfg.visualizer.vis_backends == [
        dict(type='LocalVisBackend'),
        dict(type='TensorboardVisBackend')
    ]
    # experiment configs inherit it
    monkeypatch.setenv('TSDISTILL_TENSORBOARD', '1')
    demo = Config.fromfile(DEMO_RGB)
    assert demo.visualizer.vis_backends[-1] == dict(
        type='TensorboardVisBackend')


def test_other_values_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="must be 0 .* got 'yes'"):
        load(monkeypatch, 'yes')


def _runner(monkeypatch, tmp_path):
    """The toy Runner with the switch on, given its config as from_cfg."""
    cfg = load(monkeypatch, '1')
    visualizer = cfg.visualizer.to_dict()
    visualizer['type'] = 'Visualizer'  # mmengine's; the toy is no video
    return build_toy_runner(
        tmp_path,
        f'tb_{tmp_path.name}',
        max_epochs=1,
        visualizer=visualizer,
        cfg=Config(dict(visualizer=visualizer)))


@pytest.mark.skipif(not HAS_TENSORBOARD, reason='tensorboard is not installed')
def test_runner_writes_tensorboard_events(monkeypatch, tmp_path):
    runner = _runner(monkeypatch, tmp_path)
    runner.train()
    vis_data = osp.join(runner.log_dir, 'vis_data')
    events = glob.glob(osp.join(vis_data, 'events.out.tfevents.*'))
    assert len(events) == 1 and osp.getsize(events[0]) > 0
    # LocalVisBackend still writes the scalars the plots read
    assert osp.getsize(osp.join(vis_data, 'scalars.json')) > 0


@pytest.mark.skipif(HAS_TENSORBOARD, reason='tensorboard is installed')
def test_runner_without_tensorboard_stops_at_start(monkeypatch, tmp_path):
    # at construction, before any training: the config goes to every
    # backend first
    with pytest.raises(ImportError, match='pip install .*tensorboard'):
        _runner(monkeypatch, tmp_path)
