# Copyright (c) tsdistill authors. All rights reserved.
"""Weights of the student's two loss parts over training (M3).

``L = w_cls(t) * CE + f(t) * sum_i lambda_i * d_i(F_s, F_t)``: the paper's
distill-only first stage and a CE ramp set ``w_cls``, a lambda decay sets
``f``. The training position ``t`` is read from mmengine's ``MessageHub``
(see :func:`training_progress`).
"""
from typing import NamedTuple, Optional, Tuple

from mmengine.logging import MessageHub


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

    Args:
        by_epoch (bool): Unit of ``distill_only`` and ``ce_ramp``. Defaults
            to ``True``.
        distill_only (int): Length of the warm-up with CE weight 0.
            Defaults to ``0``.
        ce_ramp (int): Length of the linear CE ramp after it. Defaults to
            ``0``.
        distill_end_factor (float): Factor of the distillation weights at
            the end of training. Defaults to ``1.0`` (no decay).
    """

    def __init__(self,
                 by_epoch: bool = True,
                 distill_only: int = 0,
                 ce_ramp: int = 0,
                 distill_end_factor: float = 1.0) -> None:
        if distill_only < 0 or ce_ramp < 0:
            raise ValueError('distill_only and ce_ramp must be >= 0, got '
                             f'{distill_only} and {ce_ramp}')
        if distill_end_factor < 0:
            raise ValueError('distill_end_factor must be >= 0, got '
                             f'{distill_end_factor}')
        self.by_epoch = bool(by_epoch)
        self.distill_only = distill_only
        self.ce_ramp = ce_ramp
        self.distill_end_factor = float(distill_end_factor)

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

    def weights(self, progress: Progress) -> Tuple[float, float]:
        """``(w_cls, f)`` at ``progress``."""
        return self.cls_weight(progress), self.distill_factor(progress)
