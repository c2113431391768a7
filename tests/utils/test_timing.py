# Copyright (c) tsdistill authors. All rights reserved.
"""The busy neighbour of the benchmarks (tsdistill.utils.timing)."""
import os
import time

import pytest

from tsdistill.utils.timing import busy_neighbour


def _cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


@pytest.mark.skipif(not os.path.exists('/proc/self/stat'), reason='no /proc')
def test_neighbours_burn_cpu_and_are_gone_after():
    with busy_neighbour(2) as pids:
        assert len(set(pids)) == 2
        time.sleep(1.0)
        used = [_cpu_seconds(pid) for pid in pids]
    # each spun for most of the 1.5 s it lived (the machine may be shared)
    assert min(used) > 0.3, used
    for pid in pids:  # killed and reaped
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_neighbours_are_killed_on_an_error():
    with pytest.raises(RuntimeError):
        with busy_neighbour() as pids:
            raise RuntimeError('in the block')
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)
