# Copyright (c) tsdistill authors. All rights reserved.
"""A progress bar that can be switched off: mmengine's, or nothing."""


class _NoBar:

    def update(self) -> None:
        pass


def progress_bar(total: int, enabled: bool = True):
    """mmengine's ``ProgressBar`` (steps per second and ETA), or no bar.

    No bar (an object whose ``update`` does nothing) if ``enabled`` is
    false or ``total`` is 0.

    Args:
        total (int): Number of steps.
        enabled (bool): Show the bar. Defaults to ``True``.

    Returns:
        An object with an ``update()`` method, called once per step.
    """
    if not enabled or total == 0:
        return _NoBar()
    from mmengine.utils import ProgressBar
    return ProgressBar(total)
