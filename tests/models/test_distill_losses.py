# Copyright (c) tsdistill authors. All rights reserved.
"""Every registered distillation loss and connector: values on known
inputs, gradients.

Values are worked out by hand (or with plain tensor arithmetic written out
here); the gradient tests run each loss inside ``DistillRecognizer3D``'s
``train_step``.
"""
import math

import pytest
import torch
from _helpers.recognizers import (batch, build, hub_without_position,
                                  params_copy, sgd, student_cfg, teacher_cfg)
from mmaction.registry import MODELS
from mmengine.runner import save_checkpoint

from tsdistill.models.connectors import ConvConnector
from tsdistill.models.losses import (AttentionTransferLoss, BaseDistillLoss,
                                     FeatureMSELoss, FitNetsLoss, LogitKDLoss,
                                     PooledFeatureMSELoss, attention_map)

LOSSES = [
    'FeatureMSELoss', 'PooledFeatureMSELoss', 'AttentionTransferLoss',
    'FitNetsLoss', 'LogitKDLoss'
]


def test_every_registered_loss_is_tested_here():
    registered = {
        name
        for name, cls in MODELS.module_dict.items()
        if isinstance(cls, type) and issubclass(cls, BaseDistillLoss)
    }
    assert registered == set(LOSSES)


@pytest.mark.parametrize('name', LOSSES)
def test_built_by_name_with_defaults(name):
    loss = MODELS.build(
        dict(
            type=name, loss_weight=2.0, student_channels=4,
            teacher_channels=4))
    assert loss.loss_weight == 2.0
    assert loss.default_pairs and loss.log_name
    # a plain distance: a connector is a module of its own
    assert not list(loss.parameters()) and not list(loss.buffers())


#: (value, error, message) of numbers no loss parameter takes
NOT_NUMBERS = [
    (float('nan'), ValueError, 'must be a finite number, got nan'),
    (float('inf'), ValueError, 'must be a finite number, got inf'),
    (True, TypeError, 'must be a number, got True'),
    ('10', TypeError, "must be a number, got '10'"),
    (None, TypeError, 'must be a number, got None'),
]


@pytest.mark.parametrize('name', LOSSES)
@pytest.mark.parametrize(
    'value, error, message',
    NOT_NUMBERS + [(-18.4, ValueError, 'must be >= 0, got -18.4')])
def test_loss_weight_is_checked(name, value, error, message):
    """``lambda`` < 0 or NaN would make ``loss_distill`` negative or NaN."""
    with pytest.raises(error, match=f'loss_weight {message}'):
        MODELS.build(
            dict(
                type=name,
                loss_weight=value,
                student_channels=4,
                teacher_channels=4))
    # lambda = 0 turns the term off
    assert MODELS.build(
        dict(type=name, loss_weight=0, student_channels=4,
             teacher_channels=4)).loss_weight == 0.0


@pytest.mark.parametrize(
    'kwargs, error, message',
    [(dict(temperature=v), e, f'temperature {m}')
     for v, e, m in NOT_NUMBERS + [(-2.0, ValueError, 'must be > 0')]] +
    [(dict(type='AttentionTransferLoss', p=v), e, f'p {m}')
     for v, e, m in NOT_NUMBERS + [(0, ValueError, 'must be > 0, got 0')]] +
    [(dict(type='ConvConnector', hint_fraction=v), e, f'hint_fraction {m}')
     for v, e, m in NOT_NUMBERS] +
    [(dict(type='ConvConnector', hint_fraction=1.5), ValueError,
      r'hint_fraction must be in \(0, 1\], got 1.5')] +
    [(dict(type='ConvConnector', student_channels=0), ValueError,
      'student_channels must be >= 1, got 0')] +
    [(dict(student_channels=v), e, f'student_channels {m}')
     for v, e, m in [(0, ValueError, 'must be >= 1, got 0'),
                     (True, TypeError, 'must be an integer, got True'),
                     (4.0, TypeError, 'must be an integer, got 4.0')]] +
    [(dict(teacher_channels=-4), ValueError, 'teacher_channels must be >= 1')])
def test_numeric_parameters_are_checked(kwargs, error, message):
    cfg = dict(type='LogitKDLoss', student_channels=4, teacher_channels=4)
    cfg.update(kwargs)
    with pytest.raises(error, match=message):
        MODELS.build(cfg)


def test_feature_mse_values():
    s = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    t = torch.tensor([[0.0, 2.0], [3.0, 0.0]])
    # ((1-0)^2 + 0 + 0 + (4-0)^2) / 4 = 17 / 4
    assert FeatureMSELoss().distance(s, t).item() == 4.25
    assert FeatureMSELoss(loss_weight=2.0)(s, t).item() == 8.5
    # 'channel': unit vectors along C; the rows of s, t are (N, C) samples
    got = FeatureMSELoss(feature_norm='channel').distance(s, t).item()
    s_unit = [[1 / math.sqrt(5), 2 / math.sqrt(5)], [0.6, 0.8]]
    t_unit = [[0.0, 1.0], [1.0, 0.0]]
    expected = sum((a - b)**2 for rs, rt in zip(s_unit, t_unit)
                   for a, b in zip(rs, rt)) / 4
    assert got == pytest.approx(expected, rel=1e-6)
    # 'layer': each sample standardised, (x - mean) / std (biased std)
    got = FeatureMSELoss(feature_norm='layer').distance(s, t).item()
    # every row of two different values becomes (-1, +1) or (+1, -1):
    # s -> (-1, 1), (-1, 1); t -> (-1, 1), (1, -1): squared errors 0, 0, 4, 4
    assert got == pytest.approx(2.0, rel=1e-4)


def test_feature_mse_checks():
    with pytest.raises(ValueError, match='same shape'):
        FeatureMSELoss().distance(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match='equal channels.*FitNetsLoss'):
        FeatureMSELoss(student_channels=8, teacher_channels=16)


def test_pooled_feature_mse_values():
    # maps (1, 2, 1, 1, 2): channel means over the 2 positions
    s = torch.tensor([1.0, 3.0, 2.0, 2.0]).view(1, 2, 1, 1, 2)  # -> (2, 2)
    t = torch.tensor([0.0, 0.0, 4.0, 6.0]).view(1, 2, 1, 1, 2)  # -> (0, 5)
    loss = PooledFeatureMSELoss(loss_weight=50.0)
    # ((2 - 0)^2 + (2 - 5)^2) / 2 = 6.5
    assert loss.distance(s, t).item() == 6.5
    assert loss(s, t).item() == 325.0
    # already pooled (the default pair): unchanged
    pooled = torch.tensor([[2.0, 2.0]]), torch.tensor([[0.0, 5.0]])
    assert loss.distance(*pooled).item() == 6.5
    assert PooledFeatureMSELoss.default_pairs == (('pooled', 'pooled'), )


def test_attention_transfer_values():
    # student: 2 channels, teacher: 3 channels; 2 positions (T=1, H=1, W=2)
    s = torch.zeros(2, 2, 1, 1, 2)
    t = torch.zeros(2, 3, 1, 1, 2)
    # sample 0: student attends position 0, teacher position 1
    s[0, :, 0, 0, 0] = torch.tensor([1.0, -1.0])  # mean |F|^2 = (1, 0)
    t[0, :, 0, 0, 1] = torch.tensor([2.0, 2.0, 2.0])  # (0, 4) -> (0, 1)
    # sample 1: both attend equally to the two positions
    s[1] = 3.0
    t[1] = -0.5
    assert torch.allclose(attention_map(s)[0], torch.tensor([1.0, 0.0]))
    assert torch.allclose(attention_map(t)[0], torch.tensor([0.0, 1.0]))
    loss = AttentionTransferLoss(loss_weight=3.0)
    # sample 0: ||(1, 0) - (0, 1)||^2 = 2; sample 1: 0; mean over the batch
    assert loss.distance(s, t).item() == pytest.approx(1.0)
    assert loss(s, t).item() == pytest.approx(3.0)
    # p = 1: mean |F| per position
    s1 = torch.tensor([3.0, 0.0, 1.0, 4.0]).view(1, 2, 1, 1, 2)
    q = attention_map(s1, p=1)  # (2, 2) / sqrt(8)
    assert torch.allclose(q, torch.full((1, 2), 1 / math.sqrt(2)))
    with pytest.raises(ValueError, match='equal N, T, H, W'):
        loss.distance(torch.zeros(1, 2, 1, 1, 2), torch.zeros(1, 2, 1, 2, 2))
    # channel counts may differ
    AttentionTransferLoss(student_channels=8, teacher_channels=16)


def test_fitnets_values():
    r = ConvConnector(student_channels=1, teacher_channels=2)
    assert MODELS.get('ConvConnector') is ConvConnector
    assert r.conv.kernel_size == (1, 1, 1) and r.out_channels == 2
    with torch.no_grad():
        # r(x) = (2 x, 1 - x)
        r.conv.weight.copy_(torch.tensor([2.0, -1.0]).view(2, 1, 1, 1, 1))
        r.conv.bias.copy_(torch.tensor([0.0, 1.0]))
    loss = FitNetsLoss(loss_weight=0.5, student_channels=2, teacher_channels=2)
    assert FitNetsLoss.connector == dict(type='ConvConnector')
    s = torch.tensor([1.0, 3.0]).view(1, 1, 1, 1, 2)
    t = torch.tensor([2.0, 5.0, 0.0, 0.0]).view(1, 2, 1, 1, 2)
    # r(s) = (2, 6 | 0, -2): squared errors 0, 1, 0, 4 -> mean 5 / 4
    assert loss.distance(r(s), t).item() == pytest.approx(1.25)
    assert loss(r(s), t).item() == pytest.approx(0.625)
    # pooled (N, C) features go through the same connector
    assert loss.distance(r(torch.tensor([[1.0]])),
                         torch.tensor([[2.0, 1.0]])).item() == pytest.approx(
                             0.5)  # r = (2, 0)
    with pytest.raises(ValueError, match='same shape'):
        loss.distance(s, t)  # F_rgb without its connector
    with pytest.raises(ValueError, match='equal channels'):
        FitNetsLoss(student_channels=1, teacher_channels=2)


def test_fitnets_hint_fraction_leaves_the_other_channels_free():
    r = ConvConnector(
        student_channels=4, teacher_channels=3, hint_fraction=0.5)
    assert r.conv.in_channels == r.hint_channels == 2
    student = torch.randn(2, 4, 2, 3, 3, requires_grad=True)
    FitNetsLoss()(r(student), torch.randn(2, 3, 2, 3, 3)).backward()
    grad = student.grad.abs().sum(dim=(0, 2, 3, 4))
    # the hint reaches the first half of the channels, not the second
    assert bool((grad[:2] > 0).all()) and bool((grad[2:] == 0).all())
    # the fraction rounds up: at least one channel is matched
    assert ConvConnector(
        student_channels=3, teacher_channels=3,
        hint_fraction=0.1).hint_channels == 1
    with pytest.raises(ValueError, match='hint_fraction must be in'):
        ConvConnector(student_channels=4, teacher_channels=3, hint_fraction=0)


def test_logit_kd_values():
    temperature = 2.0
    loss = LogitKDLoss(loss_weight=1.0, temperature=temperature)
    # teacher z / T = (ln 3, 0): p_t = (3/4, 1/4); student uniform: (1/2, 1/2)
    t = torch.tensor([[2 * math.log(3.0), 0.0], [0.0, 0.0]])
    s = torch.zeros(2, 2)
    kl = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    # second sample: both uniform, KL 0; batchmean over 2 samples
    expected = temperature**2 * kl / 2
    assert loss.distance(s, t).item() == pytest.approx(expected, rel=1e-6)
    assert LogitKDLoss(
        loss_weight=3.0, temperature=temperature)(s,
                                                  t).item() == pytest.approx(
                                                      3 * expected, rel=1e-6)
    assert loss.distance(t, t).item() == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match='temperature'):
        LogitKDLoss(temperature=0.0)
    with pytest.raises(ValueError, match='equal channels'):
        LogitKDLoss(student_channels=4, teacher_channels=5)


@pytest.fixture
def no_runner_iter():
    with hub_without_position() as hub:
        yield hub


@pytest.mark.parametrize('name', LOSSES)
def test_gradients_reach_the_student_only(name, tmp_path, no_runner_iter):
    """One distill-only step (CE weight 0): the term alone trains M3.

    The teacher (16 base channels against the student's 8 where the loss
    allows different channels) keeps every parameter and buffer and gets no
    gradient; the student's stem gets a non-zero gradient from the term;
    a connector, if any, is trained.
    """
    wide = name in ('AttentionTransferLoss', 'FitNetsLoss')
    t_cfg = teacher_cfg(base_channels=16 if wide else 8)
    teacher = build(t_cfg, seed=1)
    ckpt = str(tmp_path / 'teacher.pth')
    save_checkpoint(dict(state_dict=teacher.state_dict()), ckpt)
    model = build(
        student_cfg(
            ckpt,
            teacher=t_cfg,
            loss_distill=dict(type=name, loss_weight=1.0),
            loss_schedule=dict(by_epoch=False, distill_only=1)))
    teacher_before = params_copy(model.teacher)
    student_before = params_copy(model)
    optim_wrapper = sgd(model, weight_decay=0.0)
    # train_step's parts, to look at the gradients before the update
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    assert losses['cls_weight'] == 0.0
    pair = model.distill_pairs[0][0]
    assert losses[f'distill_{model.loss_distill[0].log_name}_{pair}'] > 0
    total, _ = model.parse_losses(losses)
    optim_wrapper.backward(total)

    stem = model.backbone.conv1.conv.weight
    assert stem.grad is not None and stem.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.teacher.parameters())
    connector = [k for k in model.state_dict() if k.startswith('connectors')]
    if name == 'FitNetsLoss':
        assert connector == [
            'connectors.fitnets_layer3.conv.weight',
            'connectors.fitnets_layer3.conv.bias'
        ]
        weight = model.connectors['fitnets_layer3'].conv.weight
        assert weight.shape == (64, 32, 1, 1, 1)
        assert weight.grad.abs().sum() > 0
    else:
        assert connector == []
    optim_wrapper.step()
    optim_wrapper.zero_grad()
    # and a whole train_step
    model.train_step(batch(seed=1), optim_wrapper)

    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key
    assert all(not p.requires_grad for p in model.teacher.parameters())
    assert all(p.grad is None for p in model.teacher.parameters())
    assert not model.teacher.training
    changed = {
        k
        for k, v in model.state_dict().items()
        if not torch.equal(v, student_before[k])
    }
    assert 'backbone.conv1.conv.weight' in changed
    assert set(connector) <= changed
