# Copyright (c) tsdistill authors. All rights reserved.
"""The backbones' convolutions in channels-last layout, for training and
testing through mmengine's Runner."""
from mmaction.registry import HOOKS
from mmengine.hooks import Hook

from ..utils.memory_format import backbones_to_channels_last


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Run the model's backbones channels-last
    (:func:`~tsdistill.utils.memory_format.backbones_to_channels_last`).

    On a 2-core CPU the demo's backward passes took 22-40 % less time in
    channels-last layout, its training iterations 7-16 % less and the
    main job a quarter less (``iteration_profile.py --contiguous-too``
    in ``tools/benchmarks/`` measures both layouts). The CPU demo's
    configs list it; on a GPU, measure before adding it.

    The conversion happens after the Runner has initialised the weights
    or loaded a checkpoint (``before_train``, and ``before_val`` /
    ``before_test`` for a Runner that only validates or tests): the
    weights are drawn as in the contiguous layout, so a seed starts from
    the same network, and checkpoints store values, which load into a model
    of either layout. Under DDP the model is already wrapped then; the
    gradients are copied into DDP's buckets, which keep the layout the
    parameters had when DDP was built.

    Usage: ``custom_hooks = [dict(type='ChannelsLastHook')]``.
    """

    def __init__(self) -> None:
        self._logged = False

    def _convert(self, runner) -> None:
        names = backbones_to_channels_last(runner.model)
        if not self._logged:
            runner.logger.info(
                f'ChannelsLastHook: {", ".join(names) or "no backbone"} '
                'in channels-last layout')
            self._logged = True

    def before_train(self, runner) -> None:
        """Convert the backbones of ``runner.model`` for training."""
        self._convert(runner)

    def before_val(self, runner) -> None:
        """The same, for a Runner that only validates."""
        self._convert(runner)

    def before_test(self, runner) -> None:
        """The same, for a Runner that only tests."""
        self._convert(runner)
