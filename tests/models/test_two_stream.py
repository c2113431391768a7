# Copyright (c) tsdistill authors. All rights reserved.
"""TwoStreamRecognizer3D: late fusion of RGB and flow (Table 1, row 3)."""
import copy
import re

import pytest
import torch
import torch.nn.functional as F
from _helpers.recognizers import (NUM_CLASSES, batch, build, rgb_cfg,
                                  rgb_preprocessor, sgd, teacher_cfg)
from _helpers.videos import tiny_video_loader
from mmengine.runner import Runner, save_checkpoint


def two_stream_cfg(**kwargs):
    cfg = dict(
        type='TwoStreamRecognizer3D',
        rgb_stream=rgb_cfg(),
        flow_stream=teacher_cfg(),
        fusion_weights=(1.0, 3.0),
        data_preprocessor=rgb_preprocessor())
    cfg.update(kwargs)
    return cfg


@pytest.fixture
def stream_ckpts(tmp_path):
    paths = []
    for name, cfg in (('rgb', rgb_cfg()), ('flow', teacher_cfg())):
        model = build(cfg, seed=len(paths) + 10)
        path = str(tmp_path / f'{name}.pth')
        save_checkpoint(dict(state_dict=model.state_dict()), path)
        paths.append(path)
    return paths


def test_fused_scores_are_weighted_average(stream_ckpts):
    rgb_ckpt, flow_ckpt = stream_ckpts
    model = build(two_stream_cfg(rgb_ckpt=rgb_ckpt, flow_ckpt=flow_ckpt))
    model.init_weights()  # as the Runner does: must not undo the loading
    rgb, flow = build(rgb_cfg()), build(teacher_cfg())
    rgb.load_state_dict(torch.load(rgb_ckpt)['state_dict'])
    flow.load_state_dict(torch.load(flow_ckpt)['state_dict'])
    for m in (model, rgb, flow):
        m.eval()
    data = batch(num=3)
    preds = model.test_step(copy.deepcopy(data))
    inputs = model.data_preprocessor(copy.deepcopy(data))['inputs']
    with torch.no_grad():
        p_rgb = F.softmax(rgb(inputs, stage='head'), dim=-1)
        p_flow = F.softmax(flow(inputs, stage='head'), dim=-1)
    expected = (1.0 * p_rgb + 3.0 * p_flow) / 4.0
    got = torch.stack([p.pred_score for p in preds])
    torch.testing.assert_close(got, expected)
    assert got.shape == (3, NUM_CLASSES)
    assert [p.pred_label.item() for p in preds] == \
        expected.argmax(-1).tolist()
    # the RGB stream alone matches the plain RGB recognizer's predictions
    rgb_alone = rgb.test_step(copy.deepcopy(data))
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in rgb_alone]), p_rgb)
    # product rule: the renormalised weighted geometric mean
    product = build(
        two_stream_cfg(
            rgb_ckpt=rgb_ckpt, flow_ckpt=flow_ckpt, fusion='product'))
    product.eval()
    got = torch.stack(
        [p.pred_score for p in product.test_step(copy.deepcopy(data))])
    expected = p_rgb**0.25 * p_flow**0.75
    torch.testing.assert_close(got, expected / expected.sum(-1, True))


def test_product_fusion_needs_both_streams():
    """A class must be likely under both streams (independent cues)."""
    model = build(two_stream_cfg(fusion_weights=(1.0, 1.0)))
    # RGB: class 0 or 1 (its cue), confidently 0; flow: class 1 or 2
    rgb_logits = torch.tensor([[6.0, 3.0, -9.0, -9.0]])
    flow_logits = torch.tensor([[-9.0, 2.0, 2.0, -9.0]])
    logits = (rgb_logits, flow_logits)
    model.stream_scores = lambda inputs: logits
    inputs = torch.zeros(1, 1, 3, 2, 8, 8)
    assert model.fuse(inputs).argmax().item() == 0  # the mean: RGB wins
    model.fusion = 'product'
    assert model.fuse(inputs).argmax().item() == 1  # likely under both


def test_loss_keys_and_training():
    model = build(two_stream_cfg())
    log_vars = model.train_step(batch(), sgd(model))
    assert {'loss', 'rgb_loss_cls', 'flow_loss_cls',
            'rgb_top1_acc'} <= set(log_vars)
    torch.testing.assert_close(
        log_vars['loss'], log_vars['rgb_loss_cls'] + log_vars['flow_loss_cls'])
    assert model(model.data_preprocessor(
        batch())['inputs']).shape == (2, NUM_CLASSES)


def test_bad_arguments(stream_ckpts):
    _, flow_ckpt = stream_ckpts
    # the flow checkpoint given as the RGB stream's
    with pytest.raises(
            RuntimeError,
            match=r'rgb stream checkpoint .*flow\.pth.*'
            r'shape mismatches: backbone\.conv1'):
        build(two_stream_cfg(rgb_ckpt=flow_ckpt))
    with pytest.raises(TypeError, match='flow_cfg'):
        build(two_stream_cfg(flow_stream=teacher_cfg(with_flow=False)))
    with pytest.raises(ValueError, match='fusion_weights'):
        build(two_stream_cfg(fusion_weights=(0.0, 0.0)))
    with pytest.raises(ValueError, match="fusion must be one of.*'max'"):
        build(two_stream_cfg(fusion='max'))


def test_streams_of_different_classes_are_refused_at_build(tmp_path):
    """Not at test time with a raw tensor-size error: at build, naming both
    checkpoints and their class counts."""
    paths = {}
    for name, cfg, classes in (('rgb', rgb_cfg(), 5), ('flow', teacher_cfg(),
                                                       8)):
        cfg['cls_head']['num_classes'] = classes
        paths[name] = (str(tmp_path / f'{name}{classes}.pth'), cfg)
        save_checkpoint(
            dict(state_dict=build(cfg).state_dict()), paths[name][0])
    (rgb_ckpt, rgb), (flow_ckpt, flow) = paths['rgb'], paths['flow']
    with pytest.raises(
            ValueError,
            match=re.escape(f'RGB stream (rgb_ckpt {rgb_ckpt}) has 5 '
                            f'classes, the flow stream (flow_ckpt '
                            f'{flow_ckpt}) 8')):
        build(
            two_stream_cfg(
                rgb_stream=rgb,
                flow_stream=flow,
                rgb_ckpt=rgb_ckpt,
                flow_ckpt=flow_ckpt))
    # without checkpoints (a fused checkpoint loaded later): the configs'
    with pytest.raises(
            ValueError,
            match=r'RGB stream \(no checkpoint\) has 5 classes, the flow '
            r'stream \(no checkpoint\) 8'):
        build(two_stream_cfg(rgb_stream=rgb, flow_stream=flow))


def test_mmaction_test_loop(tiny_video_list, stream_ckpts, tmp_path):
    """Runner.test with mmaction2's AccMetric on tiny videos."""
    root, ann = tiny_video_list
    rgb_ckpt, flow_ckpt = stream_ckpts
    runner = Runner(
        model=two_stream_cfg(rgb_ckpt=rgb_ckpt, flow_ckpt=flow_ckpt),
        work_dir=str(tmp_path / 'work'),
        test_dataloader=tiny_video_loader(root, ann, test_mode=True),
        test_evaluator=dict(type='AccMetric'),
        test_cfg=dict(type='TestLoop'),
        default_scope='mmaction')
    metrics = runner.test()
    assert {'acc/top1', 'acc/top5', 'acc/mean1'} <= set(metrics)
    assert 0.0 <= metrics['acc/top1'] <= 1.0
