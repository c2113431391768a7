# Copyright (c) tsdistill authors. All rights reserved.
"""Build M1's fused TV-L1 kernel and check it against the eager ops.

Warm the build (e.g. after installing; ``tools/setup_env.sh`` does) and
check the kernel::

    python -m tsdistill.models.flow.build_kernel

The check lives here rather than in :mod:`~tsdistill.models.flow.fused`,
which :class:`~tsdistill.models.flow.TVL1OpticalFlow` imports: it needs
the module, and the kernel's loader does not.
"""
import sys
import time
import warnings

import torch

from . import fused
from .image_filters import gaussian_blur, gaussian_kernel1d
from .tvl1 import NORM_EPS, TVL1OpticalFlow


def main() -> int:
    """Build the kernel, check it against the eager path, report.

    Two checks, each to a max abs difference < 1e-4: the iterations around
    one random linearisation (:func:`~.fused.tvl1_iterate_`), and one
    level's warps (:func:`~.fused.tvl1_warps_`, through
    ``TVL1OpticalFlow._one_scale``) between smooth random frames, with
    flows that partly leave the image.

    Returns:
        int: 0 if the kernel works, 1 otherwise (M1 then uses eager ops).
    """
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        available = fused.fused_iterate_available()
    if not available:
        log = fused.build_log()
        if log and '\n' in log.strip():
            print(log, file=sys.stderr)  # e.g. the compiler's log
        print(f'fused TV-L1 kernel: unavailable ({fused.build_error()}); '
              'M1 uses its eager torch ops')
        return 1
    seconds = time.perf_counter() - start
    # a random linearisation; both paths from the same state
    gen = torch.Generator().manual_seed(0)
    b, h, w = 2, 17, 23
    u = torch.randn(b, 2, h, w, generator=gen)
    q_x, q_y = (0.1 * torch.randn(b, 2, h, w, generator=gen) for _ in range(2))
    g = 20 * torch.randn(b, 2, h, w, generator=gen)
    rho_c = 10 * torch.randn(b, 1, h, w, generator=gen)
    inv_grad_sq = 1.0 / (g.square().sum(1, keepdim=True) + 1e-6)
    module = TVL1OpticalFlow(backend='eager')
    with torch.no_grad():
        expected = module._iterate(u, q_x, q_y, rho_c, g, inv_grad_sq, 5)
        got = [t.clone() for t in (u, q_x, q_y)]
        fused.tvl1_iterate_(*got, rho_c, g, inv_grad_sq,
                            module.lambda_ * module.theta, module.tau,
                            module.tau / module.theta, NORM_EPS, 5)
    diff = max(float((a - e).abs().max()) for a, e in zip(got, expected))
    # one level's warps (linearisation + iterations) between smooth random
    # frames (on raw noise, warps carry rounding far: there eager float32
    # is ~5e-3 px from float64 after 3 warps), flows of ~3 px
    kernel = gaussian_kernel1d(1.5, 4)
    i0, i1 = (
        gaussian_blur(255 * torch.rand(b, 1, h, w, generator=gen), kernel)
        for _ in range(2))
    u = 3 * torch.randn(b, 2, h, w, generator=gen)
    with torch.no_grad():
        expected = module._one_scale(i0, i1, u, 3, 5)
        got = TVL1OpticalFlow(backend='fused')._one_scale(i0, i1, u, 3, 5)
    diff_warps = float((got - expected).abs().max())
    ok = diff < 1e-4 and diff_warps < 1e-4
    print(f'fused TV-L1 kernel: {"OK" if ok else "WRONG"} (ready in '
          f'{seconds:.1f} s; max abs difference to the eager iterations '
          f'{diff:.1e}, to the eager warps of a level {diff_warps:.1e})')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
