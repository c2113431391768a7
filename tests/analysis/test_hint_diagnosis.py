# Copyright (c) tsdistill authors. All rights reserved.
"""The hint baselines of a trained student (tools/analysis/hint_diagnosis.py).

The whole job on a trained run is checked in the main job's end-to-end
test (tests/tools/test_table1_job.py).
"""
import pytest
import torch
from _helpers.recognizers import (batch, build, hub_without_position,
                                  student_cfg, teacher_cfg)
from mmengine.runner import save_checkpoint

from tsdistill.analysis.hint_diagnosis import (HintStatistics,
                                               check_diagnosable,
                                               hint_statistics, load_student)
from tsdistill.models.losses import (AttentionTransferLoss, FeatureMSELoss,
                                     PooledFeatureMSELoss)


def _direct(student, teacher, labels):
    """The three losses, computed on all clips at once."""
    mean = ((teacher.mean(0, keepdim=True) - teacher)**2).mean()
    by_class = torch.empty_like(teacher)
    for c in labels.unique():
        by_class[labels == c] = teacher[labels == c].mean(0, keepdim=True)
    return dict(
        student=((student - teacher)**2).mean().item(),
        mean=mean.item(),
        class_mean=((by_class - teacher)**2).mean().item())


def test_sums_give_the_losses_of_all_clips_at_once():
    gen = torch.Generator().manual_seed(0)
    teacher = torch.randn(10, 3, 2, 4, 4, generator=gen, dtype=torch.float64)
    student = torch.randn(10, 3, 2, 4, 4, generator=gen, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 0, 1, 2])
    stats = HintStatistics()
    for part in (slice(0, 3), slice(3, 10)):  # two batches
        stats.update(student[part], teacher[part], labels[part].tolist())
    got = stats.result()
    for key, value in _direct(student, teacher, labels).items():
        assert got[key] == pytest.approx(value, rel=1e-9)
    assert got['clips'] == 10


def test_learned_is_0_for_the_average_map_and_1_for_the_class_map():
    gen = torch.Generator().manual_seed(1)
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    centres = torch.randn(2, 4, 3, 3, generator=gen)
    teacher = centres[labels] + 0.1 * torch.randn(6, 4, 3, 3, generator=gen)
    # the average map, the same for every clip: nothing learned
    stats = HintStatistics()
    stats.update(teacher.mean(0).expand_as(teacher), teacher, labels.tolist())
    assert stats.result()['learned'] == pytest.approx(0.0, abs=1e-6)
    # the class averages themselves: as good as knowing the class
    by_class = torch.stack([teacher[labels == c].mean(0) for c in (0, 1)])
    stats = HintStatistics()
    stats.update(by_class[labels], teacher, labels.tolist())
    assert stats.result()['learned'] == pytest.approx(1.0, abs=1e-6)


def test_mismatched_shapes_and_other_terms_are_refused():
    stats = HintStatistics()
    with pytest.raises(ValueError, match='same shape'):
        stats.update(torch.zeros(2, 3, 4), torch.zeros(2, 4, 4), [0, 1])
    stats.update(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4), [0, 1])
    with pytest.raises(ValueError, match='one shape'):
        stats.update(torch.zeros(2, 3, 5), torch.zeros(2, 3, 5), [0, 1])
    with pytest.raises(ValueError, match='no clips'):
        HintStatistics().result()
    for term in (AttentionTransferLoss(), PooledFeatureMSELoss()):
        with pytest.raises(ValueError, match=type(term).__name__):
            check_diagnosable(term)
    check_diagnosable(FeatureMSELoss())


def test_the_student_loss_is_the_hint_the_model_computes(tmp_path):
    teacher = build(teacher_cfg(), seed=1)
    ckpt = str(tmp_path / 'teacher.pth')
    save_checkpoint(dict(state_dict=teacher.state_dict()), ckpt)
    model = build(
        student_cfg(
            ckpt,
            loss_distill=dict(
                type='FitNetsLoss',
                loss_weight=10.0,
                pairs=[('layer1', 'layer1'), ('layer3', 'layer3')],
                hint_fraction=0.5)))
    data = batch(num=8)  # two clips per class
    report = hint_statistics(model, [data])
    assert list(report) == [f'distill_{t.key}' for t in model.terms]
    assert not model.training
    with hub_without_position():
        inputs = model.data_preprocessor(data, False)
        losses = model.loss(inputs['inputs'], inputs['data_samples'])
    for key, row in report.items():
        assert row['student'] == pytest.approx(losses[key].item(), rel=1e-5)
        assert row['clips'] == 8
        assert row['mean'] > row['class_mean'] > 0


def test_a_checkpoint_without_the_connectors_is_refused(tmp_path):
    """Random connectors would give a hint loss of nothing trained."""
    teacher = build(teacher_cfg(), seed=1)
    ckpt = str(tmp_path / 'teacher.pth')
    save_checkpoint(dict(state_dict=teacher.state_dict()), ckpt)
    cfg = student_cfg(
        ckpt,
        loss_distill=dict(type='FitNetsLoss', pairs=[('layer3', 'layer3')]))
    trained = build(cfg, seed=2)
    full = str(tmp_path / 'student.pth')
    save_checkpoint(dict(state_dict=trained.state_dict()), full)
    model = build(cfg, seed=3)
    load_student(model, full)
    for key, value in trained.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    # the same weights under the connector names of older code
    renamed = {
        key.replace('connectors.fitnets_layer3', 'connectors.old_name'): value
        for key, value in trained.state_dict().items()
    }
    old = str(tmp_path / 'old.pth')
    save_checkpoint(dict(state_dict=renamed), old)
    with pytest.raises(ValueError, match='old.pth') as error:
        load_student(build(cfg, seed=3), old)
    assert 'connectors.fitnets_layer3' in str(error.value)
