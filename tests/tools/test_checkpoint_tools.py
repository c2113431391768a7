# Copyright (c) tsdistill authors. All rights reserved.
"""tools/misc/export_student.py and tools/misc/fuse_two_stream.py."""
import importlib
import os.path as osp
import runpy
import sys

import torch
from mmengine.runner import save_checkpoint

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tests', 'models'))
h = importlib.import_module('recognizer_helpers')  # tiny configs


def tool(name):
    return runpy.run_path(osp.join(REPO, 'tools', 'misc', name))['main']


def test_export_student_tool(tmp_path, capsys):
    teacher = h.build(h.teacher_cfg(), seed=2)
    teacher_ckpt = str(tmp_path / 'teacher.pth')
    save_checkpoint(dict(state_dict=teacher.state_dict()), teacher_ckpt)
    student = h.build(h.student_cfg(teacher_ckpt))
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
    assert 'removed 0 training-only keys' in out
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
