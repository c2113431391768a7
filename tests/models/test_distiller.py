# Copyright (c) tsdistill authors. All rights reserved.
"""DistillRecognizer3D (M3): frozen teacher, losses, checkpoints, warm-up."""
import copy
import os
import pickle
import tempfile

import pytest
import torch
import torch.distributed as dist
from mmengine.logging import MessageHub
from mmengine.model import MMDistributedDataParallel
from mmengine.runner import save_checkpoint
from recognizer_helpers import (batch, build, params_copy, rgb_cfg, sgd,
                                student_cfg, teacher_cfg)

from tsdistill.models.recognizers import export_student_checkpoint


@pytest.fixture
def teacher_ckpt(tmp_path):
    teacher = build(teacher_cfg(), seed=1)
    path = str(tmp_path / 'teacher.pth')
    save_checkpoint(dict(state_dict=teacher.state_dict()), path)
    return path


@pytest.fixture(autouse=True)
def no_runner_iter():
    """Each test starts without a Runner's ``iter`` in the MessageHub."""
    hub = MessageHub.get_current_instance()
    saved = {k: hub.runtime_info.get(k) for k in ('iter', 'epoch')}
    for key in saved:
        hub.runtime_info.pop(key, None)
    yield hub
    for key, value in saved.items():
        hub.runtime_info.pop(key, None)
        if value is not None:
            hub.update_info(key, value)


def test_loss_keys_and_shapes(teacher_ckpt):
    model = build(
        student_cfg(
            teacher_ckpt, distill_features=('layer1', 'layer3', 'pooled')))
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    assert {
        'loss_cls', 'loss_distill', 'top1_acc', 'mse_layer1', 'mse_layer3',
        'mse_pooled'
    } <= set(losses)
    # optimised keys are exactly these two; diagnostics carry no 'loss'
    assert sorted(k for k in losses
                  if 'loss' in k) == ['loss_cls', 'loss_distill']
    expected = 10.0 * sum(losses[f'mse_{k}']
                          for k in ('layer1', 'layer3', 'pooled'))
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
    assert len(model.connectors) == 0  # same channels: no connector
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
    student = build(student_cfg(teacher_ckpt, lambda_=0.0), seed=4)
    student.load_state_dict(plain.state_dict(), strict=True)
    data = plain.data_preprocessor(batch(seed=5), training=True)
    torch.manual_seed(0)
    expected = plain(**copy.deepcopy(data), mode='loss')
    torch.manual_seed(0)
    got = student(**copy.deepcopy(data), mode='loss')
    torch.testing.assert_close(got['loss_cls'], expected['loss_cls'])
    assert got['loss_distill'].item() == 0.0
    assert got['mse_layer3'].item() > 0.0


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


def test_connectors_and_export(teacher_ckpt, tmp_path):
    wide = build(teacher_cfg(base_channels=16), seed=2)
    wide_ckpt = str(tmp_path / 'wide.pth')
    save_checkpoint(dict(state_dict=wide.state_dict()), wide_ckpt)
    student = build(
        student_cfg(
            wide_ckpt,
            teacher=teacher_cfg(base_channels=16),
            distill_features=('layer2', 'pooled')))
    assert set(student.connectors) == {'layer2', 'pooled'}
    assert student.connectors['layer2'].in_channels == 16
    assert student.connectors['layer2'].out_channels == 32
    before = params_copy(student.connectors)
    student.train_step(batch(), sgd(student))
    after = params_copy(student.connectors)
    assert any(not torch.equal(before[k], after[k]) for k in before)

    src = str(tmp_path / 'student_with_connectors.pth')
    save_checkpoint(
        dict(state_dict=student.state_dict(), meta=dict(epoch=1)), src)
    plain = build(rgb_cfg())
    with pytest.raises(RuntimeError, match='connectors'):
        plain.load_state_dict(torch.load(src)['state_dict'], strict=True)
    dst = str(tmp_path / 'exported.pth')
    removed, meta = export_student_checkpoint(src, dst)
    assert removed and all(k.startswith('connectors.') for k in removed)
    assert meta == dict(epoch=1)
    plain.load_state_dict(torch.load(dst)['state_dict'], strict=True)


def test_temporal_alignment(teacher_ckpt):
    """Flow has T-1 frames: layer1 maps differ by one position in time."""
    data = None
    for mode in ('interpolate', 'crop'):
        model = build(
            student_cfg(
                teacher_ckpt, distill_features='layer1', temporal_align=mode))
        data = data or model.data_preprocessor(batch(), training=True)
        clips = data['inputs'].flatten(0, 1)
        from tsdistill.models.recognizers import resnet3d_stage_outputs
        student_feats = resnet3d_stage_outputs(model.backbone, clips)
        teacher_feats = model.teacher_features(clips)
        assert student_feats[0].shape[2] == 8
        assert teacher_feats[0].shape[2] == 7
        s, t = model.matched_pair('layer1', student_feats, teacher_feats)
        assert s.shape == t.shape
        assert s.shape[2] == 7
        if mode == 'crop':
            assert torch.equal(s, student_feats[0][:, :, :7])


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


def test_teacher_from_config_file_and_work_dir(teacher_ckpt, tmp_path):
    cfg_file = tmp_path / 'teacher_cfg.py'
    cfg_file.write_text(f'model = {teacher_cfg()!r}\n')
    work_dir = os.path.dirname(teacher_ckpt)
    with open(os.path.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(teacher_ckpt)
    model = build(student_cfg(work_dir, teacher=str(cfg_file)))
    assert type(model.teacher).__name__ == 'FlowRecognizer3D'


def test_teacher_trained_on_precomputed_flow(tmp_path):
    """A flow-rawframe teacher checkpoint has no M1 keys: M1 from config."""
    rawframe_teacher = build(teacher_cfg(with_flow=False))
    path = str(tmp_path / 'rawframe_teacher.pth')
    save_checkpoint(dict(state_dict=rawframe_teacher.state_dict()), path)
    model = build(student_cfg(path))
    assert model.teacher.computes_flow
    with pytest.raises(TypeError, match='computes flow from RGB'):
        build(student_cfg(path, teacher=teacher_cfg(with_flow=False)))


def test_warmup_trains_early_layers_on_mse_alone(teacher_ckpt, no_runner_iter):
    model = build(student_cfg(teacher_ckpt, warmup_iters=2))
    optim_wrapper = sgd(model, weight_decay=0.0)
    no_runner_iter.update_info('iter', 0)
    before = params_copy(model)
    log_vars = model.train_step(batch(), optim_wrapper)
    assert log_vars['loss_cls'] == 0.0
    assert log_vars['distill_warmup'] == 1.0
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
    assert log_vars['distill_warmup'] == 0.0
    assert not torch.equal(after['cls_head.fc_cls.weight'],
                           model.cls_head.fc_cls.weight.detach())

    # without a Runner, the count of training steps stands in for 'iter'
    no_runner_iter.runtime_info.pop('iter')
    fresh = build(student_cfg(teacher_ckpt, warmup_iters=1))
    steps = [
        fresh.train_step(batch(), sgd(fresh))['distill_warmup']
        for _ in range(2)
    ]
    assert steps == [1.0, 0.0]
    # test mode never warms up
    fresh.eval()
    assert not fresh.in_warmup()


def test_ddp_without_find_unused_parameters(teacher_ckpt, tmp_path,
                                            no_runner_iter):
    """Warm-up and normal steps under DDP (gloo, one process).

    DDP's reducer raises on the step after one in which a parameter got no
    gradient, whatever the world size; the teacher must not be in it.
    """
    if dist.is_initialized():
        pytest.skip('a process group already exists')
    store = tempfile.mktemp(dir=str(tmp_path))
    dist.init_process_group(
        'gloo', init_method=f'file://{store}', rank=0, world_size=1)
    try:
        wide = build(teacher_cfg(base_channels=16), seed=2)
        wide_ckpt = str(tmp_path / 'wide.pth')
        save_checkpoint(dict(state_dict=wide.state_dict()), wide_ckpt)
        model = build(
            student_cfg(
                wide_ckpt,
                teacher=teacher_cfg(base_channels=16),
                distill_features=('layer2', ),
                warmup_iters=2))
        ddp = MMDistributedDataParallel(
            module=model, find_unused_parameters=False)
        assert {id(p)
                for p in ddp.parameters()
                }.isdisjoint(id(p) for p in model.teacher.parameters())
        optim_wrapper = sgd(model)
        teacher_before = params_copy(model.teacher)
        for it in range(4):
            no_runner_iter.update_info('iter', it)
            log_vars = ddp.train_step(batch(seed=it), optim_wrapper)
            assert log_vars['distill_warmup'] == float(it < 2)
        for key, value in model.teacher.state_dict().items():
            assert torch.equal(value, teacher_before[key]), key
    finally:
        dist.destroy_process_group()
