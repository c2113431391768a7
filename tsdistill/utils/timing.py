# Copyright (c) tsdistill authors. All rights reserved.
"""Wall-clock timing of callables: the latency benchmark's and Table 1's,
busy neighbour processes to time them beside, and the settings a
measurement ran with."""
import contextlib
import os
import platform
import subprocess
import sys
import time
from typing import Callable, Dict, Iterator, List, Optional

import cv2
import torch


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


#: The busy neighbour's work: a 1-thread float32 matrix-multiply loop, as a
#: second training or decoding process keeps a core busy.
_NEIGHBOUR_LOOP = ('import numpy as np\n'
                   'a = np.random.default_rng(0).random((384, 384), '
                   'dtype=np.float32)\n'
                   'while True:\n'
                   '    a = a @ a\n'
                   '    a /= np.abs(a).max()\n')


@contextlib.contextmanager
def busy_neighbour(processes: int = 1) -> Iterator[List[int]]:
    """Other processes keeping cores busy while the block runs.

    Each neighbour is a Python process running a 1-thread matrix-multiply
    loop (numpy, ``OMP_NUM_THREADS=1`` / ``OPENBLAS_NUM_THREADS=1``); they
    are killed when the block ends, also on an exception.

    Args:
        processes (int): How many neighbours. Defaults to ``1``.

    Yields:
        list[int]: The neighbours' process ids.
    """
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        OPENBLAS_NUM_THREADS='1',
        MKL_NUM_THREADS='1')
    procs = [
        subprocess.Popen([sys.executable, '-c', _NEIGHBOUR_LOOP],
                         env=env,
                         stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL) for _ in range(processes)
    ]
    try:
        time.sleep(0.5)  # started and spinning before the block is timed
        yield [p.pid for p in procs]
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def environment() -> Dict[str, object]:
    """Torch, thread and machine settings the numbers were measured with."""
    return dict(
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        interop_threads=torch.get_num_interop_threads(),
        opencv=cv2.__version__,
        opencv_threads=cv2.getNumThreads(),
        cuda=torch.cuda.is_available(),
        machine=platform.machine(),
        processor=platform.processor() or platform.machine())
