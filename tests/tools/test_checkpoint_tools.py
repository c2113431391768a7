# Copyright (c) tsdistill authors. All rights reserved.
"""tools/misc/export_student.py and tools/misc/fuse_two_stream.py."""
import os.path as osp
import runpy

import pytest
import torch
from _helpers import recognizers as h  # tiny configs
from _helpers.videos import write_tiny_video
from mmengine.runner import save_checkpoint

from tsdistill.models.recognizers.checkpoint import CheckpointReadError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def tool(name):
    return runpy.run_path(osp.join(REPO, 'tools', 'misc', name))['main']


def test_export_student_tool(tmp_path, capsys):
    wide = h.build(h.teacher_cfg(base_channels=16), seed=2)
    wide_ckpt = str(tmp_path / 'wide.pth')
    save_checkpoint(dict(state_dict=wide.state_dict()), wide_ckpt)
    # a FitNets connector: trainable weights saved as loss_distill.*
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
    assert 'loss_distill.0.connector.weight' in out
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
    """Files people pass by mistake: text, empty, a video, a list."""
    video = write_tiny_video(str(tmp_path / 'clip.avi'))
    files = {
        'text.pth': b'epoch 1: loss 0.52, acc 0.31\n',
        'empty.pth': b'',
        'video.pth': open_bytes(video)[:3000],
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    paths.append(str(tmp_path / 'list.pth'))
    torch.save([1, 2, 3], paths[-1])
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
