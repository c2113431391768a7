# Copyright (c) tsdistill authors. All rights reserved.
"""The contract of a distillation term ``lambda * d(F_s, F_t)`` of M3."""
from typing import Optional, Tuple

from torch import Tensor, nn

from ...utils import validation

#: Feature kinds a pair can name: stage maps ``'layer1' ... 'layerK'``
#: ``(N, C, T, H, W)``, the globally averaged last stage ``'pooled'``
#: ``(N, C)`` and the head's class scores ``'logits'`` ``(N, num_classes)``.
FEATURE_KINDS = ('map', 'pooled', 'logits')


class BaseDistillLoss(nn.Module):
    """One term ``lambda * d(F_s, F_t)`` of the student's (M3) loss.

    The student is trained with ``L = CE + sum_i lambda_i * d_i(r_i(F_s),
    F_t)``; a subclass implements one distance ``d`` in :meth:`distance`,
    a plain function of the two features without parameters, and
    ``lambda`` is its ``loss_weight``. :class:`DistillRecognizer3D` builds
    one instance per matched pair ``(student feature, teacher feature)`` of
    its ``loss_distill`` config, passing the pair's channel counts, and,
    for a term that names one, the connector ``r`` (a registered module
    of :mod:`tsdistill.models.connectors`, kept apart from the loss) that
    maps ``F_s`` into the teacher's space first; otherwise ``r`` is the
    identity.

    Subclasses set the class attributes:

    * ``default_pairs``: the pairs used when the config gives none.
    * ``log_name``: short name in the diagnostics
      ``distill_<log_name>_<pair>``.
    * ``accepts``: the feature kinds (:data:`FEATURE_KINDS`) it works on.
    * ``same_channels``: whether student and teacher channel counts must be
      equal (``False`` for terms that compare channel-free summaries).
    * ``connector``: the config of the connector ``r`` the term puts
      before its distance, or ``None`` (no connector).
    * ``connector_args``: the arguments of the term's config that belong
      to its connector (the recognizer passes them on).

    Args:
        loss_weight (float): ``lambda``, the weight of this term, a finite
            number >= 0 (0 turns the term off). Defaults to ``1.0``.
        student_channels (int, optional): Channels (or classes, for
            logits) of the student feature as the distance sees it (after
            the connector), >= 1; filled in by the recognizer. Defaults to
            ``None`` (unchecked).
        teacher_channels (int, optional): Same for the teacher feature.
            Defaults to ``None``.
    """

    default_pairs: Tuple[Tuple[str, str], ...] = (('layer3', 'layer3'), )
    log_name = 'distance'
    accepts: Tuple[str, ...] = FEATURE_KINDS
    same_channels = True
    connector: Optional[dict] = None
    connector_args: Tuple[str, ...] = ()

    def __init__(self,
                 loss_weight: float = 1.0,
                 student_channels: Optional[int] = None,
                 teacher_channels: Optional[int] = None) -> None:
        super().__init__()
        self.loss_weight = validation.non_negative('loss_weight', loss_weight)
        self.student_channels = self._channels('student_channels',
                                               student_channels)
        self.teacher_channels = self._channels('teacher_channels',
                                               teacher_channels)
        if self.same_channels and None not in (
                student_channels,
                teacher_channels) and student_channels != teacher_channels:
            raise ValueError(
                f'{type(self).__name__} compares features of equal '
                f'channels, got student {student_channels} and teacher '
                f'{teacher_channels}; use FitNetsLoss (a trainable '
                'connector) or AttentionTransferLoss')

    @staticmethod
    def positive(name: str, value: float) -> float:
        """``float(value)``, a finite number > 0; the error names ``name``.

        See :func:`tsdistill.utils.validation.positive`.
        """
        return validation.positive(name, value)

    @staticmethod
    def _channels(name: str, value: Optional[int]) -> Optional[int]:
        """``None`` or an integer >= 1; the error names ``name``."""
        return None if value is None else validation.positive_int(name, value)

    def distance(self, student: Tensor, teacher: Tensor) -> Tensor:
        """The unweighted distance ``d(F_s, F_t)``, a scalar.

        Args:
            student (Tensor): Student feature ``F_s`` (M3).
            teacher (Tensor): Teacher feature ``F_t`` (M1 + M2), already
                aligned to the student's shape where that applies; a
                target, no gradient flows into it.
        """
        raise NotImplementedError

    def forward(self, student: Tensor, teacher: Tensor) -> Tensor:
        """The weighted term ``lambda * d(F_s, F_t)``."""
        return self.loss_weight * self.distance(student, teacher)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
