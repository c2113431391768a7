# Copyright (c) tsdistill authors. All rights reserved.
"""What part of the teacher's features a trained student reproduces.

For every distillation pair of a trained student M3 whose distance is a
mean squared error in the teacher's feature space (``FeatureMSELoss``, and
``FitNetsLoss`` after its connector ``r``), over the clips of a list (the
config's test pipeline: the centre clip and crop, no augmentation):

- ``student``: ``MSE(r(F_rgb), F_flow)``, the hint loss the student
  reached (``r`` is the identity for ``FeatureMSELoss``);
- ``mean``: ``MSE(E[F_flow], F_flow)``, the loss of a student that gives
  every clip the teacher's average map: what a hint reaches before it has
  learned anything about the clip;
- ``class_mean``: ``MSE(E[F_flow | class], F_flow)``, the loss of a
  student that knows the class and nothing else;
- ``learned``: ``(mean - student) / (mean - class_mean)``, the share of
  the class-related part of the teacher's features that the student
  reproduces: 0 for nothing beyond the average map, 1 for as much as
  knowing the class.

The averages are taken over the same clips and accumulated as sums, so a
list of any length fits in memory (one map per class).
"""
import glob
import os.path as osp
from typing import Dict, Iterable, Optional, Tuple

import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch import Tensor

from ..models.losses import FeatureMSELoss, FitNetsLoss, normalize_feature
from ..models.recognizers import load_checkpoint_strict
from ..models.recognizers.checkpoint import resolve_checkpoint


class HintStatistics:
    """Sums over clips that give the ``student``, ``mean`` and
    ``class_mean`` losses of one pair exactly (see the module docstring).
    """

    def __init__(self) -> None:
        self.student_sq = 0.0  # sum of (r(F_rgb) - F_flow)^2
        self.teacher_sq = 0.0  # sum of F_flow^2
        self.class_sums: Dict[int, Tensor] = {}  # sum of F_flow per class
        self.class_clips: Dict[int, int] = {}

    def update(self, student: Tensor, teacher: Tensor,
               labels: Iterable[int]) -> None:
        """Add a batch: ``(N, ...)`` student and teacher features."""
        if student.shape != teacher.shape:
            raise ValueError('student and teacher features must have the '
                             f'same shape, got {tuple(student.shape)} and '
                             f'{tuple(teacher.shape)}')
        shape = next(iter(self.class_sums.values()), teacher[0]).shape
        if teacher[0].shape != shape:
            raise ValueError('every clip must give maps of one shape, got '
                             f'{tuple(teacher[0].shape)} after '
                             f'{tuple(shape)}')
        student, teacher = student.double(), teacher.double()
        self.student_sq += float(((student - teacher)**2).sum())
        self.teacher_sq += float((teacher**2).sum())
        for label, map_ in zip(labels, teacher):
            label = int(label)
            if label not in self.class_sums:
                self.class_sums[label] = torch.zeros_like(map_)
                self.class_clips[label] = 0
            self.class_sums[label] += map_
            self.class_clips[label] += 1

    def result(self) -> Dict[str, float]:
        """``student``, ``mean``, ``class_mean``, ``learned``, ``clips``."""
        if not self.class_sums:
            raise ValueError('no clips were added')
        clips = sum(self.class_clips.values())
        total = clips * next(iter(self.class_sums.values())).numel()
        # sum over clips of |t - m|^2 = sum |t|^2 - |sum t|^2 / n, per group
        teacher_sum = sum(self.class_sums.values())
        mean = (self.teacher_sq - float(
            (teacher_sum**2).sum()) / clips) / total
        class_mean = (self.teacher_sq - sum(
            float((s**2).sum()) / self.class_clips[c]
            for c, s in self.class_sums.items())) / total
        student = self.student_sq / total
        gap = mean - class_mean
        return dict(
            student=student,
            mean=mean,
            class_mean=class_mean,
            learned=(mean - student) / gap if gap > 0 else float('nan'),
            clips=clips)


def check_diagnosable(term) -> None:
    """Refuse a term whose distance is not an MSE of feature maps."""
    if not (isinstance(term, FitNetsLoss) or type(term) is FeatureMSELoss):
        raise ValueError(
            f'{type(term).__name__}: its distance is not a mean squared '
            "error of feature maps in the teacher's space; only "
            'FeatureMSELoss and FitNetsLoss terms can be diagnosed')


def _in_teacher_space(term, student: Tensor,
                      teacher: Tensor) -> Tuple[Tensor, Tensor]:
    """The two features whose mean squared error is ``term``'s distance,
    given ``(r(F_rgb), F_flow)``: as they are for ``FitNetsLoss``, both
    normalised by its ``feature_norm`` for ``FeatureMSELoss``."""
    if isinstance(term, FitNetsLoss):
        return student, teacher
    return (normalize_feature(student, term.feature_norm),
            normalize_feature(teacher, term.feature_norm))


@torch.no_grad()
def hint_statistics(model, batches: Iterable[dict]) -> Dict[str, dict]:
    """Per distillation term (its log key): :meth:`HintStatistics.result`.

    Args:
        model (DistillRecognizer3D): The trained student, with its teacher.
        batches (Iterable[dict]): Collated ``inputs`` / ``data_samples``
            (raw clips, as a data loader gives them).

    Returns:
        dict: ``{log key: {'student', 'mean', 'class_mean', 'learned',
        'clips'}}``.
    """
    model.eval()
    for term in model.loss_distill:
        check_diagnosable(term)
    stats: Dict[str, HintStatistics] = {}
    for data in batches:
        data = model.data_preprocessor(data, False)
        inputs = data['inputs']
        clips = inputs.view((-1, ) + inputs.shape[2:])
        labels = [int(s.gt_label) for s in data['data_samples']]
        labels = [y for y in labels for _ in range(inputs.shape[1])]
        for term, loss, student, teacher in model.matched_features(
                model.student_features(clips), model.teacher_features(clips)):
            stats.setdefault(f'distill_{term.key}', HintStatistics()).update(
                *_in_teacher_space(loss, student, teacher), labels)
    return {key: s.result() for key, s in stats.items()}


def _run_config(run_dir: str) -> str:
    """The config mmengine's Runner wrote into a run's work directory."""
    configs = sorted(glob.glob(osp.join(run_dir, '*.py')))
    if len(configs) != 1:
        raise FileNotFoundError(
            f'{run_dir}: expected the one config file the Runner writes '
            f'there, found {len(configs)}')
    return configs[0]


def load_student(model: torch.nn.Module, checkpoint: str) -> None:
    """Load a trained student's weights, every key of them.

    The connectors ``r`` are part of what is measured: a checkpoint
    without them (or with other names) would leave them at their random
    initial weights and give a ``student`` loss of nothing trained, so
    any missing or unexpected key is an error.

    Args:
        model (nn.Module): The student built from the run's config.
        checkpoint (str): Its checkpoint file.

    Raises:
        ValueError: Naming the checkpoint and the keys that do not match.
    """
    try:
        load_checkpoint_strict(model, checkpoint, what='student')
    except RuntimeError as error:
        raise ValueError(
            f'{checkpoint}: its weights do not match the student of the '
            f'run config key for key, so its hints cannot be measured '
            f'({error})') from None


def hint_diagnosis(run_dir: str,
                   checkpoint: Optional[str] = None,
                   ann_file: Optional[str] = None,
                   batch_size: int = 16) -> Dict[str, dict]:
    """:func:`hint_statistics` of a student's training run.

    Args:
        run_dir (str): The run's work directory (its config, as the Runner
            wrote it, and its ``last_checkpoint``).
        checkpoint (str, optional): Another checkpoint of the run.
            Defaults to ``None`` (the last one).
        ann_file (str, optional): The list of clips. Defaults to ``None``:
            the training list (the features the hints were fitted on),
            through the test pipeline.
        batch_size (int): Clips per forward. Defaults to ``16``.

    Returns:
        dict: As :func:`hint_statistics`.
    """
    cfg = Config.fromfile(_run_config(run_dir))
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    load_student(model, checkpoint
                 or resolve_checkpoint(run_dir, what='student'))
    dataset = DATASETS.build(
        dict(
            cfg.test_dataloader.dataset,
            ann_file=ann_file or cfg.train_dataloader.dataset.ann_file,
            test_mode=True))
    batches = (
        pseudo_collate([
            dataset[i]
            for i in range(start, min(start + batch_size, len(dataset)))
        ]) for start in range(0, len(dataset), batch_size))
    return hint_statistics(model, batches)
