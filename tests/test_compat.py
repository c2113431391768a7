# Copyright (c) tsdistill authors. All rights reserved.
"""Tests of :mod:`tsdistill.compat`, one per patch."""
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

import tsdistill  # noqa: F401
from tsdistill import compat

WEIGHTS_ONLY_DEFAULT = compat._weights_only_is_default()


def test_register_all_modules_and_drn_placeholder():
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    register_all_modules()
    import mmaction.models  # noqa: F401
    assert MODELS.get('Recognizer3D') is not None
    if compat._mmaction_has_drn():
        pytest.skip('installed mmaction2 ships drn: the patch is a no-op')
    with pytest.raises(ImportError, match='DRN is unavailable.*1.2.0'):
        MODELS.build(dict(type='DRN'))


def test_drn_patch_is_noop_when_fixed(monkeypatch):
    monkeypatch.delitem(sys.modules, compat._DRN_MODULE, raising=False)
    monkeypatch.setattr(compat, '_mmaction_has_drn', lambda: True)
    assert compat.patch_missing_drn() is False
    assert compat._DRN_MODULE not in sys.modules


def test_importlib_metadata_patch(monkeypatch):
    assert compat.patch_importlib_metadata() is False  # declared dependency
    import importlib.util
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec', lambda name, *a: None
        if name == 'importlib_metadata' else real_find_spec(name, *a))
    monkeypatch.delitem(sys.modules, 'importlib_metadata', raising=False)
    assert compat.patch_importlib_metadata() is True
    import importlib.metadata
    assert sys.modules['importlib_metadata'] is importlib.metadata


def test_checkpoint_patch_applies_once():
    if not WEIGHTS_ONLY_DEFAULT:
        assert compat.patch_checkpoint_loading() is False
        return
    # ``import tsdistill`` applied it already; applying again is a no-op
    assert compat.patch_checkpoint_loading() is False


class _ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, targets, mode='loss'):
        pred = self.linear(torch.stack(inputs)).squeeze(-1)
        return dict(loss=(pred - torch.stack(targets)).pow(2).mean())


class _ToyData(torch.utils.data.Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(
            inputs=torch.full((2, ), float(i)), targets=torch.tensor(i / 8.0))


def _runner(work_dir, max_epochs, resume=False, load_from=None):
    return Runner(
        model=_ToyModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=_ToyData(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=4,
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        param_scheduler=dict(
            type='MultiStepLR', milestones=[1], begin=0, end=100),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        randomness=dict(seed=0),
        resume=resume,
        load_from=load_from)


@pytest.mark.skipif(not WEIGHTS_ONLY_DEFAULT, reason='torch < 2.6')
def test_runner_checkpoint_resumes_under_weights_only(tmp_path):
    first = _runner(str(tmp_path / 'a'), max_epochs=1)
    first.train()
    ckpt = str(tmp_path / 'a' / 'epoch_1.pth')
    # the checkpoint really holds what unpatched weights_only loading refuses
    allowed = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(ckpt)
        with pytest.raises(pickle.UnpicklingError):
            torch.load(ckpt)
    finally:
        torch.serialization.add_safe_globals(allowed)
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in unsafe
    assert 'builtins.getattr' in unsafe
    loaded = torch.load(ckpt)  # weights_only=True by default, patched
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)
    resumed = _runner(
        str(tmp_path / 'b'), max_epochs=2, resume=True, load_from=ckpt)
    resumed.train()
    assert resumed.epoch == 2
    assert resumed.iter == 4
    # the scheduler state came back: lr decayed at the epoch-1 milestone
    lr = resumed.optim_wrapper.get_lr()['lr'][0]
    assert lr == pytest.approx(0.001)


class _Payload:
    """An arbitrary class: nothing in the allow-list."""

    def __init__(self, marker):
        self.marker = marker


class _RunsCode:
    """A pickle that would run code when loaded by a full unpickler."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


@pytest.mark.skipif(not WEIGHTS_ONLY_DEFAULT, reason='torch < 2.6')
@pytest.mark.parametrize('payload', [_Payload, _RunsCode])
def test_untrusted_checkpoint_refused_with_file_name(tmp_path, payload):
    marker = str(tmp_path / 'ran')
    path = str(tmp_path / 'evil.pth')
    torch.save(
        dict(state_dict={'w': torch.zeros(1)}, extra=payload(marker)), path)
    with pytest.raises(pickle.UnpicklingError) as info:
        _load_checkpoint(path, map_location='cpu')
    assert path in str(info.value)
    assert 'refused' in str(info.value)
    assert not osp.exists(marker)


class _GetattrEscape:
    """Asks for a file-writing method of an allow-listed class."""

    def __reduce__(self):
        import numpy as np
        return (getattr, (np.ndarray, 'tofile'))


class _GetattrOnHistoryBuffer:
    """Asks for a HistoryBuffer attribute that is not a statistic."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


@pytest.mark.skipif(not WEIGHTS_ONLY_DEFAULT, reason='torch < 2.6')
@pytest.mark.parametrize('payload', [_GetattrEscape, _GetattrOnHistoryBuffer])
def test_getattr_is_restricted(tmp_path, payload):
    path = str(tmp_path / 'getattr.pth')
    torch.save(dict(meta=payload()), path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    with pytest.raises(pickle.UnpicklingError, match='evil|getattr'):
        _load_checkpoint(path, map_location='cpu')


def test_flip_of_stacked_flow_negates_x_only():
    """mmaction2 1.2.0's Flip inverted x and y of every other frame."""
    import numpy as np
    from mmaction.datasets.transforms import Flip
    x = np.array([[0, 100, 200]], np.uint8)
    y = np.array([[10, 20, 30]], np.uint8)
    imgs = [np.dstack([x, y]) for _ in range(3)]
    out = Flip(flip_ratio=1.0)(dict(
        imgs=[i.copy() for i in imgs], img_shape=(1, 3),
        modality='Flow'))['imgs']
    for img in out:  # every frame: mirrored, u -> -u (255 - q), v kept
        assert img[..., 0].tolist() == [[55, 155, 255]]
        assert img[..., 1].tolist() == [[30, 20, 10]]
    # RGB, and flow in the 0.x layout (separate x, y images), unchanged
    rgb = np.arange(6, dtype=np.uint8).reshape(1, 2, 3)
    assert Flip(flip_ratio=1.0)(dict(
        imgs=[rgb.copy()], img_shape=(1, 2),
        modality='RGB'))['imgs'][0].tolist() == rgb[:, ::-1].tolist()
    old = Flip(flip_ratio=1.0)(dict(
        imgs=[x.copy(), y.copy()], img_shape=(1, 3), modality='Flow'))['imgs']
    assert old[0].tolist() == [[55, 155, 255]]
    assert old[1].tolist() == [[30, 20, 10]]
    # applied once, and a no-op where Flip is already right
    assert not compat.patch_flow_flip()
    assert not compat._flow_flip_is_broken(Flip)


def test_restricted_pickle_load_keeps_the_checkpoint_allow_list(tmp_path):
    """Reading a --dump pickle must not drop what checkpoints need (a
    full test run failed every later checkpoint load on HistoryBuffer)."""
    import pickle
    before = torch.serialization.get_safe_globals()
    path = str(tmp_path / 'dump.pkl')
    with open(path, 'wb') as f:
        pickle.dump([dict(pred_score=torch.ones(3), gt_label=1)], f, 2)
    assert compat.load_pickle_restricted(path)[0]['gt_label'] == 1
    assert torch.serialization.get_safe_globals() == before


def test_import_without_mmcv_names_the_pip_command(tmp_path):
    """tsdistill requires no mmcv (extras lite / full): importing it where
    neither mmcv nor mmcv-lite is installed says what to install."""
    # None in sys.modules: importlib finds no mmcv, as if not installed
    code = "import sys; sys.modules['mmcv'] = None; import tsdistill"
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=str(tmp_path),
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('ImportError: tsdistill needs mmcv '
                           '>=2.0.0,<2.2.0'), proc.stderr[-2000:]
    assert 'pip install "mmcv-lite>=2.0.0,<2.2.0"' in last
    assert 'pip install "tsdistill[lite]"' in last
    assert sys.executable in last


def test_require_mmcv(monkeypatch):
    compat.require_mmcv()  # installed here: no error
    monkeypatch.setitem(sys.modules, 'mmcv', None)
    with pytest.raises(ImportError, match='neither mmcv nor mmcv-lite'):
        compat.require_mmcv()
    with pytest.raises(ImportError, match='neither mmcv nor mmcv-lite'):
        compat.apply_all()
