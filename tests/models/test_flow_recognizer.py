# Copyright (c) tsdistill authors. All rights reserved.
"""FlowRecognizer3D: the teacher M1 + M2, on RGB or on precomputed flow."""
import torch
from _helpers.recognizers import (NUM_CLASSES, batch, build, params_copy, sgd,
                                  teacher_cfg)


def test_rgb_in_flow_computed():
    model = build(teacher_cfg())
    assert model.computes_flow
    data = model.data_preprocessor(batch(), training=True)
    assert data['inputs'].shape == (2, 1, 3, 8, 32, 32)
    clips = data['inputs'].flatten(0, 1)
    flow = model.flow_inputs(clips)
    assert flow.shape == (2, 2, 7, 32, 32)
    # flow / bound, clipped to [-1, 1]
    raw = model.flow(clips)
    torch.testing.assert_close(flow, torch.clamp(raw / 20.0, -1, 1))
    assert flow.abs().max() <= 1.0

    feats, _ = model.extract_feat(data['inputs'], stage='backbone')
    torch.testing.assert_close(feats, model.backbone(flow))
    assert feats.shape == (2, 32, 2, 2, 2)

    before = params_copy(model)
    log_vars = model.train_step(batch(), sgd(model))
    assert {'loss', 'loss_cls', 'top1_acc'} <= set(log_vars)
    assert not torch.equal(before['backbone.conv1.conv.weight'],
                           model.backbone.conv1.conv.weight)
    preds = model.test_step(batch(num=3))
    assert len(preds) == 3
    assert preds[0].pred_score.shape == (NUM_CLASSES, )
    torch.testing.assert_close(preds[0].pred_score.sum(), torch.tensor(1.))


def test_precomputed_flow_input():
    model = build(teacher_cfg(with_flow=False))
    assert not model.computes_flow
    data = batch(channels=2, clip_len=7)
    prepared = model.data_preprocessor(data, training=True)
    assert prepared['inputs'].shape == (2, 1, 2, 7, 32, 32)
    # identity: the data preprocessor already mapped 0..255 to about +-1
    clips = prepared['inputs'].flatten(0, 1)
    assert torch.equal(model.flow_inputs(clips), clips)
    log_vars = model.train_step(data, sgd(model))
    assert 'loss_cls' in log_vars
    preds = model.test_step(batch(channels=2, clip_len=7))
    assert preds[1].pred_score.shape == (NUM_CLASSES, )


def test_flow_checkpoint_interchangeable_with_rawframe_teacher():
    """Same M2 keys whether flow is computed or precomputed."""
    computed = build(teacher_cfg())
    rawframe = build(teacher_cfg(with_flow=False))
    m2_keys = {k for k in computed.state_dict() if not k.startswith('flow.')}
    assert m2_keys == set(rawframe.state_dict())
