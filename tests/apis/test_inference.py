# Copyright (c) tsdistill authors. All rights reserved.
"""Inference on the exported student (M3) with mmaction2's own apis, on a
real HMDB51 clip (see ../shared/data/README.md).

mmaction2's demo scripts (``demo/demo.py``: ``init_recognizer``, then
``inference_recognizer``; ``demo/demo_inferencer.py``:
``MMAction2Inferencer``) are not in its wheel; the functions they call are,
and are run here as they call them.
"""
import os.path as osp

import pytest
import torch
from _helpers.recognizers import batch, build, sgd
from _helpers.tools import REPO
from _helpers.videos import real_clips
from mmaction.apis.inferencers import MMAction2Inferencer
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.runner import save_checkpoint

from tsdistill.apis import (inference_recognizer, init_recognizer,
                            init_student, student_config)
from tsdistill.models.recognizers import export_student_checkpoint

DEMO = osp.join(REPO, 'configs', 'demo',
                'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-{}.py')
NUM_CLASSES = 8  # the demo's


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """The demo student after one training step, its distill config and
    its exported checkpoint."""
    tmp = tmp_path_factory.mktemp('student')
    teacher = build(Config.fromfile(DEMO.format('tvl1')).model.to_dict(), 1)
    teacher_ckpt = str(tmp / 'teacher.pth')
    save_checkpoint(dict(state_dict=teacher.state_dict()), teacher_ckpt)
    cfg = Config.fromfile(DEMO.format('distill'))
    cfg.model.teacher_ckpt = teacher_ckpt
    student = build(cfg.model.to_dict())
    student.train_step(batch(clip_len=16), sgd(student))
    src, dst = str(tmp / 'student.pth'), str(tmp / 'exported.pth')
    save_checkpoint(dict(state_dict=student.state_dict()), src)
    removed, _ = export_student_checkpoint(src, dst)
    assert removed and all(k.startswith('connectors.') for k in removed)
    return student.eval(), cfg, dst


def test_mmaction2_inference_on_the_exported_student(exported):
    student, distill_cfg, ckpt = exported
    clip = real_clips()[0]
    # demo/demo.py's calls, with the plain RGB config of the same network
    plain = init_recognizer(DEMO.format('rgb'), ckpt, device='cpu')
    assert type(plain).__name__ == 'Recognizer3D'
    # every weight is the student's (mmengine loads non-strictly)
    trained = student.state_dict()
    for key, value in plain.state_dict().items():
        assert torch.equal(value, trained[key]), key
    result = inference_recognizer(plain, clip)
    scores = result.pred_score
    assert scores.shape == (NUM_CLASSES, )
    torch.testing.assert_close(scores.sum(), torch.tensor(1.0))
    assert int(result.pred_label) == int(scores.argmax())
    # the student's own test time on the same clip gives the same scores
    data = pseudo_collate([
        Compose(plain.cfg.test_pipeline)(dict(
            filename=clip, label=-1, start_index=0, modality='RGB'))
    ])
    with torch.no_grad():
        ours = student.test_step(data)[0].pred_score
    torch.testing.assert_close(scores, ours)
    # init_student: the plain model of the student's own config
    model = init_student(distill_cfg, ckpt)
    assert type(model).__name__ == 'Recognizer3D'
    assert torch.equal(inference_recognizer(model, clip).pred_score, scores)
    # demo/demo_inferencer.py's inferencer
    out = MMAction2Inferencer(
        rec=DEMO.format('rgb'), rec_weights=ckpt, device='cpu')(
            clip)
    [prediction] = out['predictions']
    assert prediction['rec_labels'] == [[int(result.pred_label)]]
    torch.testing.assert_close(
        torch.tensor(prediction['rec_scores'][0]), scores)


def test_student_config_is_the_plain_config_of_the_network():
    distill = Config.fromfile(DEMO.format('distill'))
    plain = Config.fromfile(DEMO.format('rgb'))
    student = student_config(DEMO.format('distill'))
    assert student.model == plain.model
    assert student.test_pipeline == plain.test_pipeline
    # the argument is left alone; a plain config comes back as it is
    assert distill.model.type == 'DistillRecognizer3D'
    assert student_config(plain).model == plain.model
    with pytest.raises(TypeError, match='file name or a Config'):
        student_config(dict(plain.model))
