# Copyright (c) tsdistill authors. All rights reserved.
"""DistillRecognizer3D (M3): frozen teacher, losses, checkpoints, warm-up.

The values of each registered loss on known inputs are checked in
``test_distill_losses.py``, the schedule's weights in
``test_loss_schedule.py``.
"""
import copy
import os
import pickle
import tempfile

import pytest
import torch
import torch.distributed as dist
from _helpers.recognizers import (batch, build, hub_without_position,
                                  params_copy, rgb_cfg, sgd, student_cfg,
                                  teacher_cfg)
from _helpers.tools import REPO
from mmengine.model import MMDistributedDataParallel
from mmengine.runner import save_checkpoint

from tsdistill.models.recognizers import export_student_checkpoint
from tsdistill.models.recognizers.distill_recognizer import \
    DEFAULT_LOSS_DISTILL


def mse(weight=10.0, pairs=(('layer3', 'layer3'), ), **kwargs):
    return dict(
        type='FeatureMSELoss',
        loss_weight=weight,
        pairs=[tuple(p) for p in pairs],
        **kwargs)


@pytest.fixture
def teacher_ckpt(tmp_path):
    teacher = build(teacher_cfg(), seed=1)
    path = str(tmp_path / 'teacher.pth')
    save_checkpoint(dict(state_dict=teacher.state_dict()), path)
    return path


@pytest.fixture
def wide_ckpt(tmp_path):
    """A teacher with twice the student's channels (16 base channels)."""
    wide = build(teacher_cfg(base_channels=16), seed=2)
    path = str(tmp_path / 'wide.pth')
    save_checkpoint(dict(state_dict=wide.state_dict()), path)
    return path


@pytest.fixture(autouse=True)
def no_runner_iter():
    """Each test starts without a Runner's ``iter`` in the MessageHub."""
    with hub_without_position() as hub:
        yield hub


def test_loss_keys_and_shapes(teacher_ckpt):
    pairs = [('layer1', 'layer1'), ('layer3', 'layer3'), ('pooled', 'pooled')]
    model = build(student_cfg(teacher_ckpt, loss_distill=mse(pairs=pairs)))
    assert model.distill_pairs == pairs
    assert len(model.loss_distill) == 3  # one module per pair
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    keys = [f'distill_mse_{s}' for s, _ in pairs]
    assert {'loss_cls', 'loss_distill', 'top1_acc', *keys} <= set(losses)
    # optimised keys are exactly these two; diagnostics carry no 'loss'
    assert sorted(k for k in losses
                  if 'loss' in k) == ['loss_cls', 'loss_distill']
    # lambda * sum of the unweighted MSEs, each computed here again
    clips = data['inputs'].flatten(0, 1)
    from tsdistill.models.recognizers import resnet3d_stage_outputs
    s_maps = resnet3d_stage_outputs(model.backbone, clips)
    t_maps = resnet3d_stage_outputs(model.teacher.backbone,
                                    model.teacher.flow_inputs(clips))
    pooled = (s_maps[-1].mean((2, 3, 4)), t_maps[-1].mean((2, 3, 4)))
    for key, (s, t) in zip(keys, [(s_maps[0], t_maps[0]),
                                  (s_maps[2], t_maps[2]), pooled]):
        if s.shape != t.shape:  # layer1: 8 RGB vs 7 flow positions
            s = torch.nn.functional.interpolate(
                s, size=t.shape[2:], mode='trilinear')
        torch.testing.assert_close(losses[key], ((s - t)**2).mean())
    expected = sum(10.0 * losses[k] for k in keys)
    torch.testing.assert_close(losses['loss_distill'].detach(), expected)
    preds = model.test_step(batch())
    assert preds[0].pred_score.shape == (4, )
    # predict() is the parent's: the student alone
    feats = model.extract_feat(data['inputs'], test_mode=True)[0]
    assert feats.shape[:2] == (2, 32)


def test_teacher_outside_module_tree(teacher_ckpt):
    model = build(student_cfg(teacher_ckpt))
    teacher_params = {id(p) for p in model.teacher.parameters()}
    assert teacher_params
    assert not teacher_params & {id(p) for p in model.parameters()}
    assert not any(k.startswith('teacher') for k in model.state_dict())
    assert model.teacher not in list(model.modules())
    # the default term (FeatureMSELoss) has no parameters
    assert not list(model.loss_distill.parameters())
    assert all(not p.requires_grad for p in model.teacher.parameters())
    # the teacher is the checkpoint, untouched by the student's init
    loaded = torch.load(teacher_ckpt)['state_dict']
    for key, value in model.teacher.state_dict().items():
        torch.testing.assert_close(value, loaded[key])
    # copies keep a frozen teacher of their own
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        clone.train()
        assert not clone.teacher.training
        assert clone.teacher is not model.teacher
    # .to()/.double() move the teacher too
    model.double()
    assert next(model.teacher.parameters()).dtype == torch.float64


def test_teacher_runs_channels_last(teacher_ckpt):
    """M2's convolutions run channels-last; the features are the same."""
    model = build(student_cfg(teacher_ckpt))
    channels_last = torch.channels_last_3d

    def weights_5d(m):
        return [p for p in m.teacher.backbone.parameters() if p.dim() == 5]

    assert all(
        p.is_contiguous(memory_format=channels_last)
        for p in weights_5d(model))
    # (a 1x1x1 kernel is both; the 3x3x3 ones are not)
    assert any(not p.is_contiguous() for p in weights_5d(model))
    clips = model.data_preprocessor(
        batch(), training=True)['inputs'].flatten(0, 1)
    features = model.teacher_features(clips)['layer3']
    assert features.is_contiguous(memory_format=channels_last)
    # the checkpoint's layout: contiguous weights
    plain = copy.deepcopy(model.teacher)
    plain.backbone.to(memory_format=torch.contiguous_format)
    assert all(p.is_contiguous() for p in plain.backbone.parameters())
    from tsdistill.models.recognizers import resnet3d_stage_outputs
    with torch.no_grad():
        expected = resnet3d_stage_outputs(
            plain.backbone, plain.flow_inputs(model.teacher_clips(clips)),
            3)[-1]
    torch.testing.assert_close(features, expected, rtol=1e-4, atol=1e-5)
    # copies and casts keep the layout
    model.double()
    assert all(
        p.is_contiguous(memory_format=channels_last)
        for p in weights_5d(copy.deepcopy(model)))


def test_train_step_freezes_teacher(teacher_ckpt):
    model = build(student_cfg(teacher_ckpt))
    model.train()
    assert model.training and not model.teacher.training
    model.teacher.train()  # even a direct call keeps it in eval mode
    assert not model.teacher.training
    teacher_before = params_copy(model.teacher)
    student_before = params_copy(model)
    optim_wrapper = sgd(model, weight_decay=5e-4)
    for _ in range(2):
        log_vars = model.train_step(batch(), optim_wrapper)
    assert {'loss', 'loss_cls', 'loss_distill'} <= set(log_vars)
    assert not model.teacher.training
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key  # BN stats too
    assert all(p.grad is None for p in model.teacher.parameters())
    changed = [
        k for k, v in model.state_dict().items()
        if not torch.equal(v, student_before[k])
    ]
    assert any(k.startswith('backbone.conv1') for k in changed)
    assert any(k.startswith('cls_head') for k in changed)


def test_lambda_zero_matches_plain_recognizer(teacher_ckpt):
    plain = build(rgb_cfg(), seed=3)
    student = build(
        student_cfg(teacher_ckpt, loss_distill=mse(weight=0.0)), seed=4)
    student.load_state_dict(plain.state_dict(), strict=True)
    data = plain.data_preprocessor(batch(seed=5), training=True)
    torch.manual_seed(0)
    expected = plain(**copy.deepcopy(data), mode='loss')
    torch.manual_seed(0)
    got = student(**copy.deepcopy(data), mode='loss')
    torch.testing.assert_close(got['loss_cls'], expected['loss_cls'])
    assert got['loss_distill'].item() == 0.0
    assert got['distill_mse_layer3'].item() > 0.0


def test_student_checkpoint_loads_into_plain_recognizer(
        teacher_ckpt, tmp_path):
    student = build(student_cfg(teacher_ckpt))
    optim_wrapper = sgd(student)
    for seed in range(2):
        student.train_step(batch(seed=seed), optim_wrapper)
    path = str(tmp_path / 'student.pth')
    save_checkpoint(dict(state_dict=student.state_dict()), path)

    plain = build(rgb_cfg(), seed=9)  # mmaction2-only config
    state = torch.load(path)['state_dict']
    plain.load_state_dict(state, strict=True)
    student.eval()
    plain.eval()
    data = batch(seed=7)
    ours = student.test_step(copy.deepcopy(data))
    theirs = plain.test_step(copy.deepcopy(data))
    for a, b in zip(ours, theirs):
        assert torch.equal(a.pred_score, b.pred_score)


def test_base_config_default_and_its_exported_checkpoint(
        teacher_ckpt, tmp_path):
    """The configs' default term (the ablation's best) and the class
    default (the paper's MSE), and the base config's student exports a
    checkpoint that a plain Recognizer3D loads strictly."""
    from mmengine.config import Config
    cfg = Config.fromfile(
        os.path.join(REPO, 'configs', '_base_', 'models', 'r3d18_distill.py'))
    assert cfg.model.loss_distill == dict(
        type='FitNetsLoss',
        loss_weight=10.0,
        pairs=[('layer1', 'layer1'), ('layer2', 'layer2'),
               ('layer3', 'layer3')],
        hint_fraction=0.5)
    assert cfg.model.loss_schedule == dict(distill_only=10)
    assert DEFAULT_LOSS_DISTILL == dict(
        type='FeatureMSELoss', loss_weight=10.0, pairs=[('layer3', 'layer3')])
    student = build(
        student_cfg(
            teacher_ckpt,
            loss_distill=cfg.model.loss_distill,
            loss_schedule=cfg.model.loss_schedule))
    student.train_step(batch(), sgd(student))
    src = str(tmp_path / 'student.pth')
    save_checkpoint(dict(state_dict=student.state_dict()), src)
    # the FitNets connectors are a trainable part of the student's run ...
    assert any(
        k.startswith('connectors.') for k in torch.load(src)['state_dict'])
    # ... that the export drops
    dst = str(tmp_path / 'exported.pth')
    export_student_checkpoint(src, dst)
    plain = build(rgb_cfg())
    plain.load_state_dict(torch.load(dst)['state_dict'], strict=True)


def test_the_papers_lambda_key_names_loss_weight(teacher_ckpt):
    """The paper's lambda is each term's loss_weight, not a model key."""
    pattern = ("lambda_ is not a key.*loss_weight of each distillation "
               r"term.*loss_distill=dict\(type='FeatureMSELoss', "
               'loss_weight=10.0')
    with pytest.raises(TypeError, match=pattern):
        build(student_cfg(teacher_ckpt, lambda_=10.0))
    with pytest.raises(TypeError, match='unexpected keyword.*warmup_epochs'):
        build(student_cfg(teacher_ckpt, warmup_epochs=2))


def test_bad_loss_configs_fail_at_build(teacher_ckpt, wide_ckpt):
    cases = [
        (dict(loss_distill=[]), ValueError, 'at least one term'),
        (dict(loss_distill=dict(type='I3DHead')), TypeError,
         'not a registered distillation loss'),
        (dict(loss_distill=mse(pairs=[('layer4', 'layer4')])), ValueError,
         "unknown student feature 'layer4'.*'layer3'"),
        (dict(loss_distill=mse(pairs=[('layer3', 'pooled')])), ValueError,
         'matches a map with a pooled'),
        (dict(
            loss_distill=dict(
                type='FeatureMSELoss', pairs=('layer3', 'layer3'))),
         ValueError, 'list of .* pairs'),
        (dict(loss_distill=mse(feature_norm='batch')), ValueError,
         'feature_norm must be one of'),
        (dict(loss_schedule=dict(warmup=3)), TypeError,
         'by_epoch, distill_only, ce_ramp, distill_end_factor'),
    ]
    for kwargs, error, pattern in cases:
        with pytest.raises(error, match=pattern):
            build(student_cfg(teacher_ckpt, **kwargs))
    # MSE needs equal channels; the message names the alternatives
    with pytest.raises(
            ValueError,
            match='equal channels, got student 32 and teacher 64.*FitNets'):
        build(student_cfg(wide_ckpt, teacher=teacher_cfg(base_channels=16)))


def test_combination_fitnets_and_logit_kd(wide_ckpt):
    """A list of terms: feature hint through a connector + logit KD."""
    model = build(
        student_cfg(
            wide_ckpt,
            teacher=teacher_cfg(base_channels=16),
            loss_distill=[
                dict(
                    type='FitNetsLoss',
                    loss_weight=10.0,
                    pairs=[('layer3', 'layer3')]),
                dict(type='LogitKDLoss', loss_weight=1.0, temperature=4.0)
            ]))
    assert model.distill_pairs == [('layer3', 'layer3'), ('logits', 'logits')]
    # logits need the whole teacher
    assert model.teacher_recorder.depth is None
    data = model.data_preprocessor(batch(), training=True)
    clips = data['inputs'].flatten(0, 1)
    teacher_feats = model.teacher_features(clips)
    assert set(teacher_feats) == {'layer3', 'logits'}
    with torch.no_grad():
        expected_logits = model.teacher.cls_head(
            model.teacher.backbone(model.teacher.flow_inputs(clips)))
    torch.testing.assert_close(teacher_feats['logits'], expected_logits)
    losses = model(**data, mode='loss')
    assert sorted(k for k in losses if k.startswith('distill_')) == [
        'distill_fitnets_layer3', 'distill_kd_logits'
    ]
    torch.testing.assert_close(
        losses['loss_distill'].detach(),
        10.0 * losses['distill_fitnets_layer3'] + losses['distill_kd_logits'])
    # the connector: student side, optimised; the KD term has none
    before = params_copy(model.connectors)
    model.train_step(batch(), sgd(model))
    after = params_copy(model.connectors)
    assert set(before) == {
        'fitnets_layer3.conv.weight', 'fitnets_layer3.conv.bias'
    }
    assert all(not torch.equal(before[k], after[k]) for k in before)


def test_flow_hint_regresses_m1_flow_without_running_m2(teacher_ckpt):
    """The teacher feature 'flow' is M1's flow in pixels (clipped at the
    bound, as M2 sees it); with no other teacher feature M2 does not run."""
    hint = dict(
        type='FitNetsLoss',
        loss_weight=1.0,
        pairs=[('layer1', 'flow')],
        hint_fraction=0.5)
    model = build(student_cfg(teacher_ckpt, loss_distill=hint))
    assert model.teacher_recorder.depth == 0
    assert model.connectors['fitnets_layer1_flow'].out_channels == 2
    data = model.data_preprocessor(batch(), training=True)
    clips = data['inputs'].flatten(0, 1)
    m2_calls = []
    handle = model.teacher.backbone.conv1.register_forward_hook(
        lambda *args: m2_calls.append(1))
    feats = model.teacher_features(clips)
    handle.remove()
    assert set(feats) == {'flow'} and not m2_calls
    bound = model.teacher.flow_bound
    with torch.no_grad():
        flow = model.teacher.flow(model.teacher.raw_rgb(clips))
    assert flow.abs().max() > 0.1  # random frames: a flow to predict
    torch.testing.assert_close(feats['flow'], flow.clamp(-bound, bound))
    losses = model(**data, mode='loss')
    assert 'distill_fitnets_layer1_flow' in losses
    before = params_copy(model.connectors)
    model.train_step(batch(), sgd(model))
    after = params_copy(model.connectors)
    assert all(not torch.equal(before[k], after[k]) for k in before)
    # the student has no flow
    with pytest.raises(ValueError, match="unknown student feature 'flow'"):
        build(
            student_cfg(
                teacher_ckpt,
                loss_distill=dict(hint, pairs=[('flow', 'flow')])))


def test_teacher_features_follow_the_teachers_own_path(tmp_path):
    """F_flow is recorded from the teacher's own input step (its
    backbone_inputs, which its extract_feat runs too): an early-fusion
    teacher's backbone reads cat(RGB, flow), and its last map is what its
    extract_feat gives; it offers no 'flow' feature (its backbone does not
    read the flow alone)."""
    fusion = teacher_cfg()
    fusion['type'] = 'EarlyFusionRecognizer3D'
    fusion['backbone']['in_channels'] = 5
    path = str(tmp_path / 'fusion.pth')
    save_checkpoint(dict(state_dict=build(fusion, seed=4).state_dict()), path)
    model = build(
        student_cfg(
            path,
            teacher=fusion,
            loss_distill=mse(pairs=[('pooled', 'pooled')])))
    data = model.data_preprocessor(batch(), training=True)
    feats = model.teacher_features(data['inputs'].flatten(0, 1))
    with torch.no_grad():
        last, _ = model.teacher.extract_feat(data['inputs'], stage='backbone')
    torch.testing.assert_close(feats['pooled'], last.mean(dim=(2, 3, 4)))
    assert model(**data, mode='loss')['distill_mse_pooled'] > 0
    with pytest.raises(ValueError, match="unknown teacher feature 'flow'"):
        build(
            student_cfg(
                path,
                teacher=fusion,
                loss_distill=mse(pairs=[('layer1', 'flow')])))


def test_fitnets_connector_export(wide_ckpt, tmp_path):
    """Connector weights are connectors.* keys; export strips them."""
    student = build(
        student_cfg(
            wide_ckpt,
            teacher=teacher_cfg(base_channels=16),
            loss_distill=dict(
                type='FitNetsLoss',
                loss_weight=1.0,
                pairs=[('layer2', 'layer2'), ('pooled', 'pooled')])))
    assert list(student.connectors) == ['fitnets_layer2', 'fitnets_pooled']
    connectors = [c.conv for c in student.connectors.values()]
    assert [(c.in_channels, c.out_channels) for c in connectors] == [(16, 32),
                                                                     (32, 64)]
    optim_wrapper = sgd(student)
    # every connector is in the optimizer
    optimised = {
        id(p)
        for group in optim_wrapper.optimizer.param_groups
        for p in group['params']
    }
    assert all(id(p) in optimised for c in connectors for p in c.parameters())
    student.train_step(batch(), optim_wrapper)
    src = str(tmp_path / 'student_with_connectors.pth')
    save_checkpoint(
        dict(state_dict=student.state_dict(), meta=dict(epoch=1)), src)
    # resume: the same config loads the whole checkpoint strictly
    again = build(
        student_cfg(
            wide_ckpt,
            teacher=teacher_cfg(base_channels=16),
            loss_distill=dict(
                type='FitNetsLoss',
                pairs=[('layer2', 'layer2'), ('pooled', 'pooled')])))
    again.load_state_dict(torch.load(src)['state_dict'], strict=True)
    plain = build(rgb_cfg())
    with pytest.raises(RuntimeError, match=r'connectors\.fitnets_layer2'):
        plain.load_state_dict(torch.load(src)['state_dict'], strict=True)
    dst = str(tmp_path / 'exported.pth')
    removed, meta = export_student_checkpoint(src, dst)
    assert sorted(removed) == [
        f'connectors.fitnets_{pair}.conv.{p}' for pair in ('layer2', 'pooled')
        for p in ('bias', 'weight')
    ]
    assert meta == dict(epoch=1)
    plain.load_state_dict(torch.load(dst)['state_dict'], strict=True)


def test_temporal_alignment(teacher_ckpt):
    """Flow has T-1 frames: layer1 maps differ by one position in time."""
    data = None
    pair = ('layer1', 'layer1')
    for mode in ('interpolate', 'crop'):
        model = build(
            student_cfg(
                teacher_ckpt,
                loss_distill=mse(pairs=[pair]),
                temporal_align=mode))
        data = data or model.data_preprocessor(batch(), training=True)
        clips = data['inputs'].flatten(0, 1)
        student_feats = model.student_features(clips)
        teacher_feats = model.teacher_features(clips)
        # the teacher ran only as deep as layer1
        assert set(teacher_feats) == {'layer1'}
        assert model.teacher_recorder.depth == 1
        assert student_feats['layer1'].shape[2] == 8
        assert teacher_feats['layer1'].shape[2] == 7
        [(term, _, s, t)] = model.matched_features(student_feats,
                                                   teacher_feats)
        assert term.pair == pair
        assert s.shape == t.shape
        assert s.shape[2] == 7
        if mode == 'crop':
            assert torch.equal(s, student_feats['layer1'][:, :, :7])


@pytest.mark.parametrize('kind', ['missing', 'mismatch', 'unexpected'])
def test_bad_teacher_checkpoint_fails_at_build(kind, teacher_ckpt, tmp_path):
    if kind == 'missing':
        path = str(tmp_path / 'nowhere' / 'teacher.pth')
        with pytest.raises(FileNotFoundError, match='nowhere/teacher.pth'):
            build(student_cfg(path))
        return
    state = torch.load(teacher_ckpt)['state_dict']
    if kind == 'mismatch':
        # a teacher trained for another number of classes
        state['cls_head.fc_cls.weight'] = torch.zeros(7, 32)
        state.pop('backbone.layer3.1.conv2.bn.bias')
        pattern = (r'bad\.pth.*missing keys: backbone\.layer3\.1\.conv2\.bn'
                   r'\.bias.*shape mismatches: cls_head\.fc_cls\.weight')
    else:
        state['neck.extra.weight'] = torch.zeros(1)
        pattern = r'bad\.pth.*unexpected keys: neck\.extra\.weight'
    path = str(tmp_path / 'bad.pth')
    save_checkpoint(dict(state_dict=state), path)
    with pytest.raises(RuntimeError, match=pattern):
        build(student_cfg(path))


@pytest.mark.parametrize(
    'mean, std', [([127.5] * 3, [127.5] * 3), (None, None)],
    ids=['other', 'none'])
def test_teacher_sees_the_same_clip_whatever_the_student_normalisation(
        mean, std, teacher_ckpt):
    """The student's clips are put in the teacher's normalisation."""
    data = batch()
    same = build(student_cfg(teacher_ckpt))
    clips = same.data_preprocessor(data)['inputs'].flatten(0, 1)
    assert same.teacher_clips(clips) is clips  # the configs' case
    expected = same.teacher_features(clips)
    other = build(
        student_cfg(
            teacher_ckpt,
            data_preprocessor=dict(
                type='ActionDataPreprocessor',
                mean=mean,
                std=std,
                format_shape='NCTHW')))
    theirs = other.data_preprocessor(data)['inputs'].flatten(0, 1)
    assert not torch.allclose(theirs, clips)
    torch.testing.assert_close(
        other.teacher_clips(theirs), clips, atol=1e-5, rtol=0)
    torch.testing.assert_close(
        other.teacher.flow_inputs(other.teacher_clips(theirs)),
        same.teacher.flow_inputs(clips),
        atol=1e-4,
        rtol=0)
    feats = other.teacher_features(theirs)
    assert feats.keys() == expected.keys()
    for name, value in expected.items():
        torch.testing.assert_close(
            feats[name], value, atol=1e-4, rtol=1e-4, msg=name)


def test_teacher_from_config_file_and_work_dir(teacher_ckpt, tmp_path):
    cfg_file = tmp_path / 'teacher_cfg.py'
    cfg_file.write_text(f'model = {teacher_cfg()!r}\n')
    work_dir = os.path.dirname(teacher_ckpt)
    with open(os.path.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(teacher_ckpt)
    model = build(student_cfg(work_dir, teacher=str(cfg_file)))
    assert type(model.teacher).__name__ == 'FlowRecognizer3D'


def test_teacher_from_a_moved_work_dir(teacher_ckpt, tmp_path):
    # mmengine's last_checkpoint names the file at the run's old place
    moved = tmp_path / 'moved_run'
    moved.mkdir()
    name = os.path.basename(teacher_ckpt)
    (moved / name).write_bytes(open(teacher_ckpt, 'rb').read())
    (moved / 'last_checkpoint').write_text(str(tmp_path / 'old_place' / name))
    model = build(student_cfg(str(moved)))
    reference = build(student_cfg(teacher_ckpt))
    for key, value in reference.teacher.state_dict().items():
        torch.testing.assert_close(
            model.teacher.state_dict()[key], value, msg=key)
    # a file of that name is needed beside it
    os.remove(moved / name)
    with pytest.raises(FileNotFoundError, match='without a usable'):
        build(student_cfg(str(moved)))


def test_teacher_trained_on_precomputed_flow(tmp_path):
    """A flow-rawframe teacher checkpoint has no M1 keys: M1 from config."""
    rawframe_teacher = build(teacher_cfg(with_flow=False))
    path = str(tmp_path / 'rawframe_teacher.pth')
    save_checkpoint(dict(state_dict=rawframe_teacher.state_dict()), path)
    model = build(student_cfg(path))
    assert model.teacher.computes_flow
    with pytest.raises(TypeError, match='computes flow from RGB'):
        build(student_cfg(path, teacher=teacher_cfg(with_flow=False)))


def test_warmup_trains_early_layers_on_distillation_alone(
        teacher_ckpt, no_runner_iter):
    model = build(
        student_cfg(
            teacher_ckpt, loss_schedule=dict(by_epoch=False, distill_only=2)))
    optim_wrapper = sgd(model, weight_decay=0.0)
    no_runner_iter.update_info('iter', 0)
    before = params_copy(model)
    log_vars = model.train_step(batch(), optim_wrapper)
    assert log_vars['loss_cls'] == 0.0
    assert log_vars['cls_weight'] == 0.0
    assert log_vars['distill_factor'] == 1.0
    assert log_vars['loss_distill'] > 0.0
    after = params_copy(model)
    # layers up to the matched stage (layer3, the last here) learn;
    # the head gets an exactly-zero gradient
    assert not torch.equal(before['backbone.conv1.conv.weight'],
                           after['backbone.conv1.conv.weight'])
    assert torch.equal(before['cls_head.fc_cls.weight'],
                       after['cls_head.fc_cls.weight'])
    assert all(p.grad is None or not p.grad.any()
               for p in model.cls_head.parameters())

    no_runner_iter.update_info('iter', 2)  # warm-up over
    log_vars = model.train_step(batch(), optim_wrapper)
    assert log_vars['loss_cls'] > 0.0
    assert log_vars['cls_weight'] == 1.0
    assert not torch.equal(after['cls_head.fc_cls.weight'],
                           model.cls_head.fc_cls.weight.detach())

    # without a Runner, the count of training steps stands in for 'iter'
    no_runner_iter.runtime_info.pop('iter')
    fresh = build(
        student_cfg(
            teacher_ckpt, loss_schedule=dict(by_epoch=False, distill_only=1)))
    steps = [
        fresh.train_step(batch(), sgd(fresh))['cls_weight'] for _ in range(2)
    ]
    assert steps == [0.0, 1.0]
    # test mode never warms up
    fresh.eval()
    assert fresh.loss_weights() == (1.0, 1.0)


def test_schedule_scales_the_logged_losses(teacher_ckpt, no_runner_iter):
    """CE ramp and lambda decay act on loss_cls and loss_distill."""
    plain = build(student_cfg(teacher_ckpt), seed=3)
    scheduled = build(
        student_cfg(
            teacher_ckpt,
            loss_schedule=dict(
                by_epoch=True,
                distill_only=1,
                ce_ramp=2,
                distill_end_factor=0.2)),
        seed=3)
    data = plain.data_preprocessor(batch(), training=True)
    torch.manual_seed(0)
    ref = plain(**copy.deepcopy(data), mode='loss')
    # 4 epochs of 10 iterations; iteration 20 = epoch 2.0: CE weight 0.5,
    # lambda factor 1 - 0.8 * 20 / 40 = 0.6
    for key, value in dict(
            iter=20, epoch=2, max_iters=40, max_epochs=4).items():
        no_runner_iter.update_info(key, value)
    torch.manual_seed(0)
    got = scheduled(**copy.deepcopy(data), mode='loss')
    assert got['cls_weight'].item() == 0.5
    torch.testing.assert_close(got['distill_factor'].item(), 0.6)
    torch.testing.assert_close(got['loss_cls'], 0.5 * ref['loss_cls'])
    torch.testing.assert_close(got['loss_distill'], 0.6 * ref['loss_distill'])
    # the diagnostics stay unweighted
    torch.testing.assert_close(got['distill_mse_layer3'],
                               ref['distill_mse_layer3'])


def test_teacher_cfg_relative_to_the_repository(teacher_ckpt, tmp_path,
                                                monkeypatch):
    """A config path relative to the repository works from any directory:
    it names the shipped copy (tsdistill/.mim), with or without configs/."""
    from tsdistill.models.recognizers.teacher import resolve_config_path
    from tsdistill.utils.paths import shipped_path
    name = 'configs/_base_/models/r3d18_tvl1_flow.py'
    monkeypatch.chdir(tmp_path)
    assert resolve_config_path(name) == shipped_path(name)
    assert resolve_config_path(name[len('configs/'):]) == shipped_path(name)
    local = tmp_path / 'configs' / 'teacher.py'
    local.parent.mkdir()
    local.write_text(f'model = {teacher_cfg()!r}\n')
    # as given first
    assert resolve_config_path('configs/teacher.py') == 'configs/teacher.py'
    model = build(student_cfg(teacher_ckpt, teacher='configs/teacher.py'))
    assert type(model.teacher).__name__ == 'FlowRecognizer3D'
    with pytest.raises(FileNotFoundError, match='teacher_cfg.*nowhere.py'):
        build(student_cfg(teacher_ckpt, teacher='configs/nowhere.py'))


def test_ddp_without_find_unused_parameters(wide_ckpt, tmp_path,
                                            no_runner_iter):
    """Warm-up and normal steps under DDP (gloo, one process).

    DDP's reducer raises on the step after one in which a parameter got no
    gradient, whatever the world size; the teacher must not be in it, the
    FitNets connector must (it is built with the student).
    """
    if dist.is_initialized():
        pytest.skip('a process group already exists')
    store = tempfile.mktemp(dir=str(tmp_path))
    dist.init_process_group(
        'gloo', init_method=f'file://{store}', rank=0, world_size=1)
    try:
        model = build(
            student_cfg(
                wide_ckpt,
                teacher=teacher_cfg(base_channels=16),
                loss_distill=dict(
                    type='FitNetsLoss',
                    loss_weight=1.0,
                    pairs=[('layer2', 'layer2')]),
                loss_schedule=dict(by_epoch=False, distill_only=2)))
        ddp = MMDistributedDataParallel(
            module=model, find_unused_parameters=False)
        wrapped = {id(p) for p in ddp.parameters()}
        assert wrapped.isdisjoint(id(p) for p in model.teacher.parameters())
        assert {id(p) for p in model.loss_distill.parameters()} <= wrapped
        optim_wrapper = sgd(model)
        teacher_before = params_copy(model.teacher)
        for it in range(4):
            no_runner_iter.update_info('iter', it)
            log_vars = ddp.train_step(batch(seed=it), optim_wrapper)
            assert log_vars['cls_weight'] == float(it >= 2)
        for key, value in model.teacher.state_dict().items():
            assert torch.equal(value, teacher_before[key]), key
    finally:
        dist.destroy_process_group()


def test_hint_time_reverse(teacher_ckpt, monkeypatch):
    """Half of a batch plays backwards for the hints; CE sees the rest."""
    from tsdistill.models.recognizers import hint_views
    model = build(student_cfg(teacher_ckpt, hint_time_reverse=0.5))
    model.train()
    data = model.data_preprocessor(batch(num=4), training=True)
    seen = {}
    student_features = model.student_features
    teacher_features = model.teacher_features

    def record(name, method):

        def wrapped(clips):
            seen[name] = clips
            seen[name + '_out'] = out = method(clips)
            return out

        return wrapped

    loss_by_feat = model.cls_head.loss_by_feat

    def record_ce(logits, samples):
        seen['ce'] = (logits, samples)
        return loss_by_feat(logits, samples)

    monkeypatch.setattr(model, 'student_features',
                        record('student', student_features))
    monkeypatch.setattr(model, 'teacher_features',
                        record('teacher', teacher_features))
    monkeypatch.setattr(model.cls_head, 'loss_by_feat', record_ce)
    torch.manual_seed(0)
    model(**copy.deepcopy(data), mode='loss')
    clips = data['inputs'].flatten(0, 1)
    # the student and the teacher see the same clips, two of them reversed
    assert seen['student'] is seen['teacher']
    backwards = [
        i for i in range(4) if not torch.equal(seen['student'][i], clips[i])
    ]
    assert len(backwards) == 2
    for i in backwards:
        torch.testing.assert_close(seen['student'][i], clips[i].flip(1))
    # CE sees the logits and labels of the two forward clips only
    forwards = [i for i in range(4) if i not in backwards]
    logits, samples = seen['ce']
    assert torch.equal(logits, seen['student_out']['logits'][forwards])
    assert [s.gt_label.item() for s in samples
            ] == [data['data_samples'][i].gt_label.item() for i in forwards]
    # test mode and p = 0 see the clips as they are
    model.eval()
    seen.clear()
    model(**copy.deepcopy(data), mode='loss')
    assert torch.equal(seen['student'], clips)
    assert hint_views.reverse_some_in_time(clips, 0.0)[0] is clips
    # a batch of one keeps its label
    one, forwards = hint_views.reverse_some_in_time(clips[:1], 0.5)
    assert one is clips[:1] or torch.equal(one, clips[:1])
    assert forwards.tolist() == [0]


@pytest.mark.parametrize('fraction', [1.0, -0.1, 'half', True])
def test_hint_time_reverse_refuses_bad_fractions(teacher_ckpt, fraction):
    with pytest.raises((TypeError, ValueError), match='hint_time_reverse'):
        build(student_cfg(teacher_ckpt, hint_time_reverse=fraction))
