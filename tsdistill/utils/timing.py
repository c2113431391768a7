# Copyright (c) tsdistill authors. All rights reserved.
"""Wall-clock timing of callables: the latency benchmark's and Table 1's."""
import time
from typing import Callable, Dict, List, Optional


def interleaved_times(
        fns: Dict[str, Callable[[], object]],
        warmup: int,
        repeats: int,
        log: Optional[Callable[[str], None]] = None) -> Dict[str, List[float]]:
    """Wall-clock seconds of every ``fn()``, timed in interleaved rounds.

    Each function is called ``warmup`` times untimed, then ``repeats``
    rounds call every function once in turn, each round starting one row
    later than the one before. On a shared machine a slow spell then slows
    every row of a round instead of all repeats of one row, and no row is
    always the one that runs first (after the allocator has handed the
    previous round's memory back). With one function: ``warmup`` untimed
    calls, then ``repeats`` timed ones.

    Args:
        fns (dict): ``{name: fn}``, each called without arguments.
        warmup (int): Untimed calls of each function first.
        repeats (int): Rounds, i.e. timed calls of each function.
        log (Callable, optional): Called with a line per round. Defaults to
            ``None``.

    Returns:
        dict: ``{name: [seconds per call, one per round]}``.
    """
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
    names = list(fns)
    times: Dict[str, List[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        first = round_ % len(names)
        for name in names[first:] + names[:first]:
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
        if log is not None:
            log(f'  round {round_ + 1}/{repeats}: ' +
                ', '.join(f'{name} {times[name][-1]:.2f} s' for name in names))
    return times
