# Copyright (c) tsdistill authors. All rights reserved.
"""FlowRecognizer3D: the teacher M1 + M2, on RGB or on precomputed flow."""
import pytest
import torch
from _helpers.recognizers import (NUM_CLASSES, batch, build, params_copy, sgd,
                                  teacher_cfg)
from mmaction.structures import ActionDataSample


def test_rgb_in_flow_computed():
    model = build(teacher_cfg())
    assert model.computes_flow
    data = model.data_preprocessor(batch(), training=True)
    assert data['inputs'].shape == (2, 1, 3, 8, 32, 32)
    clips = data['inputs'].flatten(0, 1)
    flow = model.flow_inputs(clips)
    assert flow.shape == (2, 2, 7, 32, 32)
    # flow / bound, clipped to [-1, 1]
    raw = model.flow(model.raw_rgb(clips))
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


def exactly_restored_clips(preprocessor, num=2, seed=0):
    """uint8 RGB clips whose ``(x - mean) / std * std + mean`` is ``x``.

    In float32 a few levels come back 1 ulp off (12 of the 3 x 256 with the
    tests' mean / std); the clips use only the others, so M1's input can be
    compared with the raw clip bit for bit.
    """
    levels = torch.arange(256.0)
    mean = preprocessor.mean.view(3, 1)
    std = preprocessor.std.view(3, 1)
    exact = (levels - mean) / std * std + mean == levels
    gen = torch.Generator().manual_seed(seed)
    channels = []
    for c in range(3):
        kept = levels[exact[c]]
        index = torch.randint(len(kept), (num, 1, 8, 32, 32), generator=gen)
        channels.append(kept[index])
    return torch.stack(channels, dim=2).to(torch.uint8)


def test_m1_reads_the_raw_clip_the_preprocessor_normalised():
    """The teacher undoes its data preprocessor's normalisation before M1."""
    model = build(teacher_cfg())
    raw = exactly_restored_clips(model.data_preprocessor)
    data = model.data_preprocessor(
        dict(
            inputs=list(raw),
            data_samples=[ActionDataSample().set_gt_label(0)] * len(raw)))
    clips = data['inputs'].flatten(0, 1)
    raw = raw.flatten(0, 1).float()
    assert clips.abs().max() < 3  # normalised
    seen = []
    model.flow.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    flow = model.flow_inputs(clips)
    assert torch.equal(seen[0], raw)
    # bit for bit the flow of M1 on the raw clip
    assert torch.equal(flow, torch.clamp(model.flow(raw) / 20.0, -1, 1))

    # a data preprocessor without mean / std: the clip is M1's input
    plain = build(
        dict(
            teacher_cfg(),
            data_preprocessor=dict(
                type='ActionDataPreprocessor', format_shape='NCTHW')))
    assert plain.raw_rgb(raw) is raw
    # a flow (2-channel) normalisation cannot be undone for M1
    with pytest.raises(ValueError, match='normalise 3 channels'):
        build(
            dict(
                teacher_cfg(),
                data_preprocessor=dict(
                    type='ActionDataPreprocessor',
                    mean=[128.0, 128.0],
                    std=[128.0, 128.0],
                    format_shape='NCTHW')))


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
