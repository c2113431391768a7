# Copyright (c) tsdistill authors. All rights reserved.
"""Weights of the student's two loss parts over training (M3).

``L = w_cls(t) * CE + f(t) * sum_i lambda_i * d_i(F_s, F_t)``: the paper's
distill-only first stage and a CE ramp set ``w_cls``, a lambda decay sets
``f``. The training position ``t`` is read from mmengine's ``MessageHub``
(see :func:`training_progress`).
"""
from typing import NamedTuple, Optional, Tuple

from mmengine.logging import MessageHub

from ...utils import validation


class Progress(NamedTuple):
    """Where training is: the keys mmengine's ``RuntimeInfoHook`` sets.

    ``iter`` is the global iteration (0-based, the one being run), ``epoch``
    the current epoch (0-based); ``max_iters`` / ``max_epochs`` the length
    of training, ``None`` when unknown.
    """

    iter: int
    epoch: int
    max_iters: Optional[int] = None
    max_epochs: Optional[int] = None


def training_progress(local_iter: int = 0) -> Progress:
    """Read the training position from the current ``MessageHub``.

    mmengine's ``RuntimeInfoHook`` sets ``iter`` and ``epoch`` before each
    iteration / epoch and ``max_iters`` / ``max_epochs`` before training
    (and restores them on resume). Without a Runner, ``local_iter`` (a
    count of training steps kept by the caller) stands in for ``iter`` and
    ``epoch`` is 0.

    Args:
        local_iter (int): The fallback iteration. Defaults to ``0``.

    Returns:
        Progress: The current position.
    """
    hub = MessageHub.get_current_instance()
    it = hub.get_info('iter')
    return Progress(
        iter=local_iter if it is None else int(it),
        epoch=int(hub.get_info('epoch') or 0),
        max_iters=hub.get_info('max_iters'),
        max_epochs=hub.get_info('max_epochs'))


class LossSchedule:
    """Weight of CE and factor of the distillation terms at a given time.

    Three parts, all off by default (weights 1):

    * distill-only warm-up (the paper's first stage, in which the early
      part of the student learns from the distillation terms alone): the
      CE weight is 0 during the first ``distill_only`` units. The
      recognizer multiplies CE by 0 rather than dropping it, so every
      parameter stays in the graph (DDP without
      ``find_unused_parameters``).
    * CE ramp: after the warm-up, the CE weight goes linearly from 0 to 1
      over ``ce_ramp`` units: ``(t - distill_only) / ce_ramp``.
    * lambda decay: every ``lambda_i`` is multiplied by a factor going
      linearly from 1 at the start of training to ``distill_end_factor`` at
      its end: ``1 + (distill_end_factor - 1) * iter / max_iters`` (needs
      the length of training, i.e. a Runner).

    Units are epochs (``by_epoch=True``) or iterations. An epoch position is
    fractional when the hub knows the length of training, ``t = iter *
    max_epochs / max_iters`` (the ramp moves every iteration, and ``t <
    N`` exactly during the first ``N`` epochs), else the whole ``epoch``.

    A warm-up as long as training (``distill_only >= max_epochs``, or
    ``max_iters`` by iteration) would train the student without CE at all:
    :meth:`weights` refuses it as soon as the hub knows the length of
    training, i.e. at the first training iteration under a Runner.

    Args:
        by_epoch (bool): Unit of ``distill_only`` and ``ce_ramp``, ``True``
            or ``False``. Defaults to ``True``.
        distill_only (int): Length of the warm-up with CE weight 0, >= 0.
            Defaults to ``0``.
        ce_ramp (int): Length of the linear CE ramp after it, >= 0.
            Defaults to ``0``.
        distill_end_factor (float): Factor of the distillation weights at
            the end of training, >= 0. Defaults to ``1.0`` (no decay).

    Raises:
        TypeError: ``by_epoch`` is not a bool, or a length or the factor is
            not a number; the error names the argument and its value.
        ValueError: A length or the factor is negative, NaN or infinite.
    """

    def __init__(self,
                 by_epoch: bool = True,
                 distill_only: int = 0,
                 ce_ramp: int = 0,
                 distill_end_factor: float = 1.0) -> None:
        self.by_epoch = validation.boolean('by_epoch', by_epoch)
        # the lengths keep their type (an int stays one in the repr)
        validation.non_negative('distill_only', distill_only)
        validation.non_negative('ce_ramp', ce_ramp)
        self.distill_only = distill_only
        self.ce_ramp = ce_ramp
        self.distill_end_factor = validation.non_negative(
            'distill_end_factor', distill_end_factor)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(by_epoch={self.by_epoch}, '
                f'distill_only={self.distill_only}, ce_ramp={self.ce_ramp}, '
                f'distill_end_factor={self.distill_end_factor})')

    def position(self, progress: Progress) -> float:
        """``t`` in the schedule's unit (epochs or iterations)."""
        if not self.by_epoch:
            return float(progress.iter)
        if progress.max_iters and progress.max_epochs:
            return progress.iter * progress.max_epochs / progress.max_iters
        return float(progress.epoch)

    def cls_weight(self, progress: Progress) -> float:
        """``w_cls``: 0 in the warm-up, then the ramp, then 1."""
        t = self.position(progress) - self.distill_only
        if t < 0:
            return 0.0
        if t < self.ce_ramp:
            # linear 0 -> 1 over ce_ramp units after the warm-up
            return t / self.ce_ramp
        return 1.0

    def distill_factor(self, progress: Progress) -> float:
        """``f``: 1 -> ``distill_end_factor``, linear over training."""
        if self.distill_end_factor == 1.0:
            return 1.0
        if progress.max_iters:
            done = progress.iter / progress.max_iters
        elif progress.max_epochs:
            done = progress.epoch / progress.max_epochs
        else:
            raise RuntimeError(
                'distill_end_factor decays over the whole training, whose '
                'length is unknown: run under mmengine\'s Runner (its '
                'RuntimeInfoHook puts max_iters in the MessageHub) or set '
                'it with MessageHub.get_current_instance().update_info('
                "'max_iters', n)")
        # f = 1 + (end - 1) * progress, progress in [0, 1]
        return 1.0 + (self.distill_end_factor - 1.0) * min(done, 1.0)

    def check_length(self, progress: Progress) -> None:
        """Refuse a warm-up that lasts the whole training.

        Args:
            progress (Progress): Its ``max_epochs`` (``by_epoch``) or
                ``max_iters`` is the length of training; unknown (``None``),
                nothing is checked.

        Raises:
            ValueError: ``distill_only`` is at least that length, so the
                CE weight would be 0 throughout; the message names both.
        """
        unit, length = ('max_epochs',
                        progress.max_epochs) if self.by_epoch else (
                            'max_iters', progress.max_iters)
        if self.distill_only and length is not None and \
                self.distill_only >= length:
            raise ValueError(
                f'loss_schedule: distill_only={self.distill_only} '
                f'{"epochs" if self.by_epoch else "iterations"} >= '
                f'{unit}={length} of this training: the student would '
                'never be trained with cross-entropy (CE weight 0 '
                'throughout). Make distill_only shorter than the training '
                '(train_cfg)')

    def weights(self, progress: Progress) -> Tuple[float, float]:
        """``(w_cls, f)`` at ``progress``; see :meth:`check_length`."""
        self.check_length(progress)
        return self.cls_weight(progress), self.distill_factor(progress)
