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

The library's size and sha256 are recorded beside it (``<library>.json``,
:func:`write_record`) and checked before it is loaded
(:func:`check_library`): a library that does not match, or has no record,
is built again, with a warning naming the folder, rather than loaded (a
library cut short crashes the process that loads it with SIGBUS, and
ninja sees nothing to rebuild while it is newer than its object file).

Warm the build (e.g. after installing) and check the kernel::

    python -m tsdistill.models.flow.build_kernel
"""
import contextlib
import hashlib
import json
import os
import os.path as osp
import re
import shutil
import sys
import threading
import time
import warnings
from typing import Iterator, Optional, Tuple

import torch
from torch import Tensor
from torch.utils.file_baton import FileBaton

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
#: Largest |eager - fused| flow (px) after a full forward of M1, where the
#: frames determine the flow (3 px from the border, the target in the
#: frame): the bound tests/models/test_tvl1_fused.py checks, measured up
#: to 8.9e-4 there. The eager ops do the kernel's arithmetic in another
#: float32 rounding (torch fuses some multiply-adds, takes MKL's square
#: root, samples through grid_sample's normalised coordinates).
EAGER_FLOW_ATOL = 1e-3
#: The same over all pixels (the border, where nothing pins the flow down,
#: carries rounding further; measured up to 2.6e-3). On ill-posed real
#: pairs a few pixels differ more (Middlebury's Urban2: 13 of 307200 by
#: over 0.1 px), as much as eager float32 differs from float64 there.
EAGER_FLOW_ATOL_ALL = 1e-2
#: Environment variable that overrides the build folder's root.
EXT_DIR_ENV = 'TSDISTILL_EXT_DIR'
#: A build lock older than this (seconds) was left by a killed build;
#: torch would wait for it forever.
STALE_LOCK_SECONDS = 600
#: tsdistill's lock in the build folder, around torch's (see _folder_lock).
LOCK_NAME = 'tsdistill.lock'

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


def build_directory() -> str:
    """The folder the kernel is built in and loaded from (created).

    ``TSDISTILL_EXT_DIR/<name>`` if the variable is set, otherwise torch's
    folder for the extension (``TORCH_EXTENSIONS_DIR``, by default under
    ``~/.cache/torch_extensions``).

    Returns:
        str: The folder.
    """
    path = _build_directory()
    if path is not None:
        return path
    from torch.utils import cpp_extension
    name = extension_name()
    try:  # the folder torch picks when given none (a private function)
        path = cpp_extension._get_build_directory(name, verbose=False)
    except Exception:
        path = osp.join(cpp_extension.get_default_build_root(), name)
    os.makedirs(path, exist_ok=True)
    return path


def library_path(build_dir: str) -> str:
    """The compiled library in ``build_dir`` (torch's file name)."""
    from torch.utils import cpp_extension
    return osp.join(
        build_dir,
        extension_name() + getattr(cpp_extension, 'LIB_EXT', '.so'))


def record_path(build_dir: str) -> str:
    """The build record beside the library: its size and sha256 (JSON)."""
    return library_path(build_dir) + '.json'


def _digest(path: str) -> Tuple[int, str]:
    """``(size in bytes, sha256 hex digest)`` of a file."""
    sha = hashlib.sha256()
    size = 0
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            sha.update(block)
            size += len(block)
    return size, sha.hexdigest()


def write_record(build_dir: str) -> None:
    """Record the library's size and sha256 beside it (atomically).

    Args:
        build_dir (str): The build folder.
    """
    library = library_path(build_dir)
    size, sha256 = _digest(library)
    record = dict(
        library=osp.basename(library),
        size=size,
        sha256=sha256,
        torch=torch.__version__)
    path = record_path(build_dir)
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'w') as f:
        json.dump(record, f, indent=1)
    os.replace(tmp, path)


def check_library(build_dir: str) -> Optional[str]:
    """What is wrong with the built library, checked before it is loaded.

    A library that does not match its record (e.g. cut short by a full
    disk or a killed copy) would crash the process that loads it (SIGBUS),
    and ninja does not rebuild it while it is newer than its object file.

    Args:
        build_dir (str): The build folder.

    Returns:
        str | None: The problem, or ``None`` if the library matches its
        record or does not exist (then there is nothing to load yet).
    """
    library = library_path(build_dir)
    if not osp.exists(library):
        return None
    path = record_path(build_dir)
    try:
        with open(path) as f:
            record = json.load(f)
        size, sha256 = int(record['size']), str(record['sha256'])
    except FileNotFoundError:
        return f'has no build record ({osp.basename(path)})'
    except (OSError, ValueError, TypeError, KeyError) as error:
        return (f'has an unreadable build record ({osp.basename(path)}: '
                f'{_short(error)})')
    actual_size, actual_sha256 = _digest(library)
    if actual_size != size:
        return (f'does not match its build record: {osp.basename(library)} '
                f'holds {actual_size} bytes, {size} were built')
    if actual_sha256 != sha256:
        return (f'does not match its build record: the sha256 of '
                f'{osp.basename(library)} differs from the built one')
    return None


def _remove_stale_lock(build_dir: str, name: str = 'lock') -> None:
    lock = osp.join(build_dir, name)
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


@contextlib.contextmanager
def _folder_lock(build_dir: str) -> Iterator[None]:
    """Hold :data:`LOCK_NAME` in ``build_dir`` (waits for it).

    One process at a time checks, builds, loads and records the library:
    torch's own lock covers the build only, so a library could otherwise
    be removed or linked again while another process loads it.

    Args:
        build_dir (str): The build folder.
    """
    baton = FileBaton(osp.join(build_dir, LOCK_NAME))
    while not baton.try_acquire():
        _remove_stale_lock(build_dir, LOCK_NAME)
        time.sleep(0.1)
    try:
        yield
    finally:
        baton.release()


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
    """Compile (or reuse) and import the extension; raises on failure.

    Before the library is loaded it is checked against its build record
    (:func:`check_library`); one that does not match is removed, with a
    warning naming the folder, so that ninja builds it again. After the
    load the record is written (:func:`write_record`).
    """
    from torch.utils import cpp_extension
    missing = _missing_tool()
    if missing:
        raise RuntimeError(missing)
    build_dir = build_directory()
    _remove_stale_lock(build_dir)
    with _folder_lock(build_dir):
        problem = check_library(build_dir)
        if problem:
            warnings.warn(
                f'tsdistill: the fused TV-L1 kernel of M1 in {build_dir} '
                f'{problem}; building it again instead of loading it',
                RuntimeWarning,
                stacklevel=3)
            os.remove(library_path(build_dir))
        module = cpp_extension.load(
            name=extension_name(),
            sources=list(SOURCES),
            extra_cflags=list(EXTRA_CFLAGS),
            extra_ldflags=list(EXTRA_LDFLAGS),
            build_directory=build_dir,
            verbose=verbose)
        try:
            write_record(build_dir)
        except OSError as error:  # the next process builds it again
            warnings.warn(
                'tsdistill: cannot write the build record of the fused '
                f'TV-L1 kernel in {build_dir} ({_short(error)})',
                RuntimeWarning,
                stacklevel=3)
    return module


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
                    f'({_error}); TVL1OpticalFlow uses its eager torch ops: '
                    'slower on CPU, and a flow that differs from the '
                    "kernel's by float32 rounding (the tests hold it within "
                    f'{EAGER_FLOW_ATOL:g} px where the frames determine the '
                    f'flow, {EAGER_FLOW_ATOL_ALL:g} px over all pixels; '
                    'ill-posed pixels can differ more). See `python -m '
                    'tsdistill.models.flow.build_kernel`.',
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


def build_log() -> Optional[str]:
    """The whole text of the build failure (e.g. the compiler's output).

    Returns:
        str | None: The text; ``None`` if the extension loaded or untried.
    """
    return _error_text


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
