# Copyright (c) tsdistill authors. All rights reserved.
"""M1's fused CPU kernel for the TV-L1 warps, built on first use.

``csrc/tvl1_iterate.cpp`` runs all warps of one pyramid level of
:class:`~tsdistill.models.flow.TVL1OpticalFlow` in one C++ call
(:func:`tvl1_warps_`: per warp the linearisation of I1 around the flow,
then the iterations; the fixed differences, float32, no autograd).
:func:`tvl1_iterate_` runs the iterations around one given linearisation,
to check them against the eager ops. The kernel is compiled with
:func:`torch.utils.cpp_extension.load` the first time it is needed, once
per process; the build is cached in torch's extension folder
(``TORCH_EXTENSIONS_DIR``, by default ``~/.cache/torch_extensions``), or
under ``TSDISTILL_EXT_DIR`` if set. If it cannot be built (no C++
compiler, no ninja, a failed build), one warning names the reason and M1
keeps its eager torch ops.

Warm the build (e.g. after installing) and check the kernel::

    python -m tsdistill.models.flow.fused
"""
import os
import os.path as osp
import re
import shutil
import sys
import threading
import time
import warnings
from typing import Optional

import torch
from torch import Tensor

#: The C++ sources, shipped with the package (setup.py's package_data).
SOURCES = (osp.join(
    osp.dirname(osp.abspath(__file__)), 'csrc', 'tvl1_iterate.cpp'), )
#: Compiler flags: portable code (no -march), the arithmetic as written
#: (no fast-math, no contraction into FMAs); -fno-math-errno lets sqrt
#: vectorise (its argument is >= 0); -fopenmp: tvl1_warps_'s ``omp
#: parallel for`` and, with torch's OpenMP backend, at::parallel_for (an
#: inline ``omp parallel``) run in parallel (serially without it), and it
#: links the libgomp that torch has loaded.
EXTRA_CFLAGS = ('-O3', '-ffp-contract=off', '-fno-math-errno', '-fopenmp')
EXTRA_LDFLAGS = ('-fopenmp', )
#: Environment variable that overrides the build folder's root.
EXT_DIR_ENV = 'TSDISTILL_EXT_DIR'
#: A build lock older than this (seconds) was left by a killed build;
#: torch would wait for it forever.
STALE_LOCK_SECONDS = 600

_lock = threading.Lock()
_module = None
#: Why the build failed: one line, and the whole text (compiler output).
_error: Optional[str] = None
_error_text: Optional[str] = None


def extension_name() -> str:
    """The extension's name: one build per torch version (ABI)."""
    return 'tsdistill_tvl1_iterate_torch' + re.sub(r'\W', '_',
                                                   torch.__version__)


def _build_directory() -> Optional[str]:
    """``TSDISTILL_EXT_DIR/<name>``, or ``None`` (torch's default)."""
    root = os.environ.get(EXT_DIR_ENV)
    if not root:
        return None
    path = osp.join(osp.expanduser(root), extension_name())
    os.makedirs(path, exist_ok=True)
    return path


def _remove_stale_lock(build_dir: str) -> None:
    lock = osp.join(build_dir, 'lock')
    try:
        age = time.time() - os.stat(lock).st_mtime
    except OSError:
        return
    if age > STALE_LOCK_SECONDS:
        warnings.warn(f'removing the stale build lock {lock} '
                      f'({age / 60:.0f} min old, left by a killed build)')
        try:
            os.remove(lock)
        except OSError:
            pass


def _missing_tool() -> Optional[str]:
    """Why a build cannot start, or ``None``.

    The ``ninja`` of the ``ninja`` package (a dependency) lies beside the
    interpreter, which is not on ``PATH`` when a virtual environment's
    Python runs without being activated; torch looks for it on ``PATH``.
    """
    from torch.utils import cpp_extension
    here = osp.dirname(sys.executable)
    if shutil.which('ninja') is None and shutil.which('ninja', path=here):
        os.environ['PATH'] = here + os.pathsep + os.environ.get('PATH', '')
    compiler = os.environ.get('CXX', 'c++')
    if shutil.which(compiler) is None:
        return f'no C++ compiler ({compiler!r} is not on PATH)'
    if not cpp_extension.is_ninja_available():
        return 'ninja is not installed (pip install ninja)'
    return None


def _build(verbose: bool = False):
    """Compile (or reuse) and import the extension; raises on failure."""
    from torch.utils import cpp_extension
    missing = _missing_tool()
    if missing:
        raise RuntimeError(missing)
    build_dir = _build_directory()
    name = extension_name()
    try:  # best effort: torch's default folder is a private function
        _remove_stale_lock(
            build_dir
            or cpp_extension._get_build_directory(name, verbose=False))
    except Exception:
        pass
    return cpp_extension.load(
        name=name,
        sources=list(SOURCES),
        extra_cflags=list(EXTRA_CFLAGS),
        extra_ldflags=list(EXTRA_LDFLAGS),
        build_directory=build_dir,
        verbose=verbose)


def _short(error: BaseException) -> str:
    """``Type: first line`` of an error (a build error holds its log)."""
    text = str(error).strip().splitlines()
    first = text[0] if text else ''
    if len(first) > 300:
        first = first[:297] + '...'
    return f'{type(error).__name__}: {first}' if first else type(
        error).__name__


def load_extension(verbose: bool = False):
    """The compiled extension, built on the first call; ``None`` if it fails.

    Thread-safe; the first failure warns once (with the reason) and is
    remembered for the rest of the process.

    Args:
        verbose (bool): Show the build's commands and output. Defaults to
            ``False``.

    Returns:
        module | None: The extension, or ``None`` (see :func:`build_error`).
    """
    global _module, _error, _error_text
    if _module is not None or _error is not None:
        return _module
    with _lock:
        if _module is None and _error is None:
            try:
                _module = _build(verbose)
            except Exception as error:  # a build never breaks M1
                _error, _error_text = _short(error), str(error)
                warnings.warn(
                    'tsdistill: the fused TV-L1 kernel of M1 is unavailable '
                    f'({_error}); TVL1OpticalFlow uses its eager torch ops '
                    '(same flow, slower on CPU). See `python -m '
                    'tsdistill.models.flow.fused`.',
                    RuntimeWarning,
                    stacklevel=2)
    return _module


def fused_iterate_available() -> bool:
    """Whether the fused kernel can be used (builds it on the first call).

    Returns:
        bool: ``True`` if the extension is loaded.
    """
    return load_extension() is not None


def build_error() -> Optional[str]:
    """Why the extension is unavailable (``None`` if it loaded or untried).

    Returns:
        str | None: The reason.
    """
    return _error


def _loaded():
    """The extension, or a RuntimeError naming why it is unavailable."""
    module = load_extension()
    if module is None:
        raise RuntimeError(f'the fused TV-L1 kernel is unavailable: {_error}')
    return module


def tvl1_iterate_(u: Tensor, q_x: Tensor, q_y: Tensor, rho_c: Tensor,
                  g: Tensor, inv_grad_sq: Tensor, lambda_theta: float,
                  tau: float, tau_theta: float, norm_eps: float,
                  num_iters: int) -> None:
    """``num_iters`` TV-L1 iterations in place on ``u``, ``q_x``, ``q_y``.

    The arithmetic of ``TVL1OpticalFlow._iterate`` with the fixed
    differences, parallel over the batch (``torch.get_num_threads()``).
    All tensors: CPU, float32, contiguous; no autograd.

    Args:
        u (Tensor): ``(B, 2, h, w)`` flow, updated.
        q_x (Tensor): ``(B, 2, h, w)`` x components of ``theta * p``,
            updated.
        q_y (Tensor): ``(B, 2, h, w)`` y components of ``theta * p``,
            updated.
        rho_c (Tensor): ``(B, 1, h, w)`` constant part of the residual.
        g (Tensor): ``(B, 2, h, w)`` warped image gradient.
        inv_grad_sq (Tensor): ``(B, 1, h, w)`` ``1 / |grad I1|^2``.
        lambda_theta (float): ``lambda_ * theta``.
        tau (float): ``tau``.
        tau_theta (float): ``tau / theta``.
        norm_eps (float): Added to ``|grad u|^2`` before the square root.
        num_iters (int): Iterations.

    Raises:
        RuntimeError: The extension is unavailable (:func:`build_error`),
            or the tensors break the contract above.
    """
    _loaded().tvl1_iterate_(u, q_x, q_y, rho_c, g, inv_grad_sq,
                            float(lambda_theta), float(tau), float(tau_theta),
                            float(norm_eps), int(num_iters))


def tvl1_warps_(u: Tensor, q_x: Tensor, q_y: Tensor, i0: Tensor,
                i1_and_grad: Tensor, lambda_theta: float, tau: float,
                tau_theta: float, norm_eps: float, eps: float, num_warps: int,
                num_iters: int) -> None:
    """``num_warps`` warps of one level in place on ``u``, ``q_x``, ``q_y``.

    Per warp, the linearisation of ``TVL1OpticalFlow._one_scale`` (I1 and
    its gradient sampled bilinearly at ``x + u``, clamped to the image, as
    :func:`~tsdistill.models.flow.warping.warp`; then ``|grad I1|^-2`` and
    the residual's constant part), then ``num_iters`` iterations of
    ``TVL1OpticalFlow._iterate`` with the fixed differences. No median
    filter: with ``median_size > 1``, call it per warp
    (``num_warps=1``). Parallel over the batch (``torch.get_num_threads()``
    threads, images dynamically scheduled). All tensors: CPU, float32,
    contiguous; no autograd. ``num_iters=0`` (or ``num_warps=0``) leaves
    everything unchanged.

    Args:
        u, q_x, q_y (Tensor): The state, updated, as in
            :func:`tvl1_iterate_`.
        i0 (Tensor): ``(B, 1, h, w)`` first frames.
        i1_and_grad (Tensor): ``(B, 3, h, w)`` second frames, their d/dx
            and d/dy (as ``_one_scale`` builds them).
        lambda_theta, tau, tau_theta, norm_eps (float): As in
            :func:`tvl1_iterate_`.
        eps (float): Added to ``|grad I1|^2`` before dividing by it.
        num_warps (int): Warps (linearisations).
        num_iters (int): Iterations per warp.

    Raises:
        RuntimeError: The extension is unavailable (:func:`build_error`),
            or the tensors break the contract above.
    """
    _loaded().tvl1_warps_(u, q_x, q_y, i0, i1_and_grad, float(lambda_theta),
                          float(tau), float(tau_theta), float(norm_eps),
                          float(eps), int(num_warps), int(num_iters))


def main() -> int:
    """Build the kernel, check it against the eager path, report.

    Two checks, each to a max abs difference < 1e-4: the iterations around
    one random linearisation (:func:`tvl1_iterate_`), and one level's
    warps (:func:`tvl1_warps_`, through ``TVL1OpticalFlow._one_scale``)
    between smooth random frames, with flows that partly leave the image.

    Returns:
        int: 0 if the kernel works, 1 otherwise (M1 then uses eager ops).
    """
    from .image_filters import gaussian_blur, gaussian_kernel1d
    from .tvl1 import NORM_EPS, TVL1OpticalFlow
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        available = fused_iterate_available()
    if not available:
        if _error_text and '\n' in _error_text.strip():
            print(_error_text, file=sys.stderr)  # e.g. the compiler's log
        print(f'fused TV-L1 kernel: unavailable ({_error}); M1 uses its '
              'eager torch ops')
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
        tvl1_iterate_(*got, rho_c, g, inv_grad_sq,
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
    # the package's module, not this __main__ copy: one extension state
    from tsdistill.models.flow.fused import main as _main
    sys.exit(_main())
