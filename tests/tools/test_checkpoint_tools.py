# Copyright (c) tsdistill authors. All rights reserved.
"""Checkpoint entry points: tools/misc/export_student.py,
tools/misc/fuse_two_stream.py, the teacher and the two streams, and the
Runner's load_from / --resume of tools/train.py and tools/test.py."""
import os.path as osp
import re
import runpy
import sys

import mmaction
import pytest
import torch
from _helpers import recognizers as h  # tiny configs
from _helpers.tools import REPO, load_tool
from _helpers.toy_runner import build_toy_runner
from _helpers.videos import tiny_video_loader, write_tiny_video
from mmengine.runner import save_checkpoint

from tsdistill.engine import CheckpointCheckHook
from tsdistill.models.recognizers.checkpoint import CheckpointReadError

MMACTION_TOOLS = osp.join(osp.dirname(mmaction.__file__), '.mim', 'tools')


def tool(name):
    return load_tool('misc', name).main


def test_export_student_tool(tmp_path, capsys):
    wide = h.build(h.teacher_cfg(base_channels=16), seed=2)
    wide_ckpt = str(tmp_path / 'wide.pth')
    save_checkpoint(dict(state_dict=wide.state_dict()), wide_ckpt)
    # a FitNets connector: trainable weights saved as connectors.*
    student = h.build(
        h.student_cfg(
            wide_ckpt,
            teacher=h.teacher_cfg(base_channels=16),
            loss_distill=dict(type='FitNetsLoss', loss_weight=1.0)))
    student.train_step(h.batch(), h.sgd(student))
    src = str(tmp_path / 'epoch_1.pth')
    save_checkpoint(
        dict(
            state_dict=student.state_dict(),
            optimizer=dict(state={}),
            meta=dict(epoch=1)), src)
    dst = str(tmp_path / 'student_only.pth')
    tool('export_student.py')([src, dst])
    out = capsys.readouterr().out
    assert 'removed 2 training-only keys' in out
    assert 'connectors.fitnets_layer3.conv.weight' in out
    exported = torch.load(dst)
    assert set(exported) == {'state_dict', 'meta'}
    plain = h.build(h.rgb_cfg())
    plain.load_state_dict(exported['state_dict'], strict=True)
    plain.eval()
    student.eval()
    assert torch.equal(
        student.test_step(h.batch(seed=3))[0].pred_score,
        plain.test_step(h.batch(seed=3))[0].pred_score)


def test_fuse_two_stream_tool(tmp_path):
    paths = {}
    for name, cfg in (('rgb', h.rgb_cfg()), ('flow', h.teacher_cfg())):
        path = str(tmp_path / f'{name}.pth')
        save_checkpoint(dict(state_dict=h.build(cfg).state_dict()), path)
        paths[name] = path
    model = dict(
        type='TwoStreamRecognizer3D',
        rgb_stream=h.rgb_cfg(),
        flow_stream=h.teacher_cfg(),
        rgb_ckpt=paths['rgb'],
        flow_ckpt=paths['flow'],
        data_preprocessor=h.rgb_preprocessor())
    config = tmp_path / 'two_stream.py'
    config.write_text(f"default_scope = 'mmaction'\nmodel = {model!r}\n")
    dst = str(tmp_path / 'fused.pth')
    tool('fuse_two_stream.py')([str(config), dst])
    fused = torch.load(dst)
    rgb = torch.load(paths['rgb'])['state_dict']
    for key, value in rgb.items():
        assert torch.equal(fused['state_dict'][f'rgb_stream.{key}'], value)
    assert fused['meta']['flow_ckpt'] == paths['flow']


def open_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def _not_checkpoints(tmp_path):
    """Files people pass by mistake: text, empty, a video, a truncated
    checkpoint, a list, a tensor, a dict without a state dict."""
    video = write_tiny_video(str(tmp_path / 'clip.avi'))
    whole = str(tmp_path / 'whole.pth')
    save_checkpoint(dict(state_dict=h.build(h.rgb_cfg()).state_dict()), whole)
    files = {
        'text.pth': b'epoch 1: loss 0.52, acc 0.31\n',
        'empty.pth': b'',
        'video.pth': open_bytes(video)[:3000],
        'truncated.pth': open_bytes(whole)[:osp.getsize(whole) // 2],
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    for name, obj in (('list.pth', [1, 2, 3]), ('tensor.pth', torch.zeros(3)),
                      ('no_state_dict.pth', dict(meta=dict(epoch=3)))):
        paths.append(str(tmp_path / name))
        torch.save(obj, paths[-1])
    return paths


def test_not_a_checkpoint_is_named_by_every_tool(tmp_path, capsys):
    rgb = str(tmp_path / 'rgb.pth')
    save_checkpoint(dict(state_dict=h.build(h.rgb_cfg()).state_dict()), rgb)
    for path in _not_checkpoints(tmp_path):
        dst = str(tmp_path / 'out.pth')
        assert tool('export_student.py')([path, dst]) == 1
        err = capsys.readouterr().err
        assert path in err and 'not a' in err, err
        assert not osp.exists(dst)
        with pytest.raises(Exception) as info:  # mmengine keeps the type
            h.build(h.student_cfg(path))
        assert isinstance(info.value, CheckpointReadError), info.value
        assert f'teacher: {path} is not a' in str(info.value)
        model = dict(
            type='TwoStreamRecognizer3D',
            rgb_stream=h.rgb_cfg(),
            flow_stream=h.teacher_cfg(),
            rgb_ckpt=rgb,
            flow_ckpt=path,
            data_preprocessor=h.rgb_preprocessor())
        config = tmp_path / 'two_stream.py'
        config.write_text(f"default_scope = 'mmaction'\nmodel = {model!r}\n")
        assert tool('fuse_two_stream.py')([str(config), dst]) == 1
        err = capsys.readouterr().err
        assert f'flow stream: {path} is not a' in err, err
        assert not osp.exists(dst)


def test_export_refuses_a_teacher_checkpoint(tmp_path, capsys):
    cases = {
        'teacher_m1.pth': h.teacher_cfg(),
        'teacher_flow.pth': h.teacher_cfg(with_flow=False),
    }
    for name, cfg in cases.items():
        src = str(tmp_path / name)
        save_checkpoint(dict(state_dict=h.build(cfg).state_dict()), src)
        dst = str(tmp_path / 'student_only.pth')
        assert tool('export_student.py')([src, dst]) == 1
        err = capsys.readouterr().err
        assert f'{src} is not a student checkpoint' in err, err
        assert 'the teacher' in err and 'nothing was written' in err
        assert not osp.exists(dst)
    # a plain RGB recognizer's checkpoint is exported unchanged
    src = str(tmp_path / 'rgb.pth')
    save_checkpoint(dict(state_dict=h.build(h.rgb_cfg()).state_dict()), src)
    assert tool('export_student.py')([src, str(tmp_path / 'out.pth')]) == 0


def test_fuse_two_stream_tool_refuses_different_classes(tmp_path, capsys):
    paths = {}
    for name, cfg, classes in (('rgb', h.rgb_cfg(), 5), ('flow',
                                                         h.teacher_cfg(), 8)):
        cfg['cls_head']['num_classes'] = classes
        path = str(tmp_path / f'{name}.pth')
        save_checkpoint(dict(state_dict=h.build(cfg).state_dict()), path)
        paths[name] = (path, cfg)
    model = dict(
        type='TwoStreamRecognizer3D',
        rgb_stream=paths['rgb'][1],
        flow_stream=paths['flow'][1],
        rgb_ckpt=paths['rgb'][0],
        flow_ckpt=paths['flow'][0],
        data_preprocessor=h.rgb_preprocessor())
    config = tmp_path / 'two_stream.py'
    config.write_text(f"default_scope = 'mmaction'\nmodel = {model!r}\n")
    dst = str(tmp_path / 'fused.pth')
    assert tool('fuse_two_stream.py')([str(config), dst]) == 1
    err = capsys.readouterr().err
    assert (f'(rgb_ckpt {paths["rgb"][0]}) has 5 classes, the flow stream '
            f'(flow_ckpt {paths["flow"][0]}) 8') in err, err
    assert not osp.exists(dst)


def _raises_naming(path, what='load_from'):
    """``pytest.raises`` for an error naming ``what`` and ``path``."""
    return pytest.raises((CheckpointReadError, FileNotFoundError),
                         match=re.escape(f'{what}: {path} '))


def test_runner_checks_load_from_and_resume(tmp_path):
    """The hook names the file the Runner would fail on (or, for a dict
    without a state dict, silently not load) before the Runner loads it."""
    for i, path in enumerate(_not_checkpoints(tmp_path)):
        runner = build_toy_runner(tmp_path / f'w{i}', f'ckcheck{i}', 1)
        runner.register_hook(CheckpointCheckHook())
        runner._load_from = path
        with _raises_naming(path):
            runner.train()
    # --resume <file> with weights only: no meta / message hub
    weights = str(tmp_path / 'weights.pth')
    runner = build_toy_runner(tmp_path / 'weights', 'ckcheck_w', 1)
    save_checkpoint(dict(state_dict=runner.model.state_dict()), weights)
    runner.register_hook(CheckpointCheckHook())
    runner._load_from, runner._resume = weights, True
    with pytest.raises(
            CheckpointReadError,
            match=re.escape(f'resume: {weights} cannot be resumed from: it '
                            'has no meta.epoch, meta.iter, message_hub')):
        runner.train()
    # loading the same file is fine, and so is resuming a run's checkpoint
    runner = build_toy_runner(tmp_path / 'run', 'ckcheck_run', 1)
    runner.register_hook(CheckpointCheckHook())
    runner._load_from = weights
    runner.train()
    runner = build_toy_runner(tmp_path / 'run', 'ckcheck_resume', 2)
    runner.register_hook(CheckpointCheckHook())
    runner._resume = True  # auto resume: last_checkpoint of the work dir
    runner.train()
    assert runner.epoch == 2
    # a last_checkpoint naming a file that is not a checkpoint
    text = _not_checkpoints(tmp_path / 'bad')[0]
    (tmp_path / 'run' / 'last_checkpoint').write_text(text)
    runner = build_toy_runner(tmp_path / 'run', 'ckcheck_auto', 3)
    runner.register_hook(CheckpointCheckHook())
    runner._resume = True
    with _raises_naming(text,
                        f'resume (last_checkpoint of {runner.work_dir})'):
        runner.train()


@pytest.fixture
def tool_config(tmp_path, tiny_video_list, monkeypatch):
    """A tiny RGB experiment config for mmaction2's tools."""
    monkeypatch.setenv('LOCAL_RANK', '0')  # parse_args sets it otherwise
    root, ann = tiny_video_list
    cfg = dict(
        default_scope='mmaction',
        model=h.rgb_cfg(),
        train_dataloader=tiny_video_loader(root, ann, test_mode=False),
        train_cfg=dict(
            type='EpochBasedTrainLoop', max_epochs=1, val_interval=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        test_dataloader=tiny_video_loader(root, ann, test_mode=True),
        test_cfg=dict(type='TestLoop'),
        test_evaluator=dict(type='AccMetric'))
    path = tmp_path / 'tiny_rgb.py'
    path.write_text(''.join(f'{k} = {v!r}\n' for k, v in cfg.items()))
    return str(path)


def run_tool(script, *args):
    """Run a tools/*.py script in this process, as from the command line."""
    argv = sys.argv
    sys.argv = [script] + [str(a) for a in args]
    try:
        runpy.run_path(script, run_name='__main__')
    finally:
        sys.argv = argv


def test_plugin_tools_name_a_file_that_is_not_a_checkpoint(
        tool_config, tmp_path):
    work_dir = tmp_path / 'work'
    test_py = osp.join(REPO, 'tools', 'test.py')
    train_py = osp.join(REPO, 'tools', 'train.py')
    for path in _not_checkpoints(tmp_path):
        with _raises_naming(path):
            run_tool(test_py, tool_config, path, '--work-dir', work_dir)
    # a dict without a state dict used to train from scratch
    no_state = str(tmp_path / 'no_state_dict.pth')
    with _raises_naming(no_state):
        run_tool(train_py, tool_config, '--work-dir', work_dir,
                 '--cfg-options', f'load_from={no_state}')
    text = str(tmp_path / 'text.pth')
    with _raises_naming(text, 'resume'):
        run_tool(train_py, tool_config, '--work-dir', work_dir, '--resume',
                 text)
    assert not osp.exists(work_dir / 'epoch_1.pth')


def test_mmaction_tool_with_the_hook_in_the_config(tool_config, tmp_path):
    """mmaction2's own tools/test.py: the config lists the hook."""
    with open(tool_config, 'a') as f:
        f.write("custom_imports = dict(imports=['tsdistill'])\n"
                "custom_hooks = [dict(type='CheckpointCheckHook')]\n")
    path = _not_checkpoints(tmp_path)[0]
    with _raises_naming(path):
        run_tool(
            osp.join(MMACTION_TOOLS, 'test.py'), tool_config, path,
            '--work-dir', tmp_path / 'work')
