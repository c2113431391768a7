# Copyright (c) tsdistill authors. All rights reserved.
"""M1: TV-L1 optical flow as unrolled, batched, differentiable layers."""
import math
import numbers
from collections import abc
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmaction.registry import MODELS
from torch import Tensor, nn

from ...utils import validation
from . import fused
from .differences import (backward_difference_kernel, centred_gradient_kernel,
                          divergence, forward_difference_kernel,
                          forward_gradient, image_gradients)
from .image_filters import (gaussian_blur, gaussian_kernel1d, median_filter,
                            rgb_to_grey)
from .pyramid import (image_pyramid, num_pyramid_scales, pyramid_sizes,
                      resize_flow)
from .warping import warp

IntOrSeq = Union[int, Sequence[int]]

#: Added to ``|grad u|^2`` before the square root (finite gradient at 0).
NORM_EPS = 1e-12

#: Upper end of ``tau``, the dual step: Chambolle's projection converges
#: for steps up to 1/8 in theory and 1/4 in practice (Chambolle, JMIV
#: 2004; OpenCV's DualTVL1 default is the bound).
MAX_TAU = 0.25
#: Range of ``lambda_`` and ``theta``: far wider than TV-L1's useful
#: values (OpenCV's defaults 0.15 and 0.3), it keeps the products the
#: iterations take (``lambda_ * theta``, ``tau / theta``) well inside
#: float32's range.
WEIGHT_RANGE = (1e-6, 1e6)
#: Range of ``eps``: ``1 / eps`` well inside float32's range.
EPS_RANGE = (1e-30, 1e6)
#: Range of ``smooth_sigma`` when not 0 (no smoothing): below 0.1 px the
#: kernel's weights beside the centre (< 2e-22) vanish in float32, so the
#: blur does nothing; beyond 10 px (51 taps) it leaves little of the
#: texture that TV-L1 tracks.
SMOOTH_SIGMA_RANGE = (0.1, 10.0)

#: How the TV-L1 iterations run (``TVL1OpticalFlow(backend=...)``).
BACKENDS = ('auto', 'eager', 'fused')


def _real(name: str,
          value,
          low: float,
          high: float,
          low_open: bool = False,
          high_open: bool = False) -> float:
    """``float(value)``, a number from ``low`` to ``high``; errors name both.

    Args:
        name (str): The argument.
        value: Its value.
        low (float): Lower end, allowed unless ``low_open``.
        high (float): Upper end, allowed unless ``high_open``.
        low_open (bool): Refuse ``low``. Defaults to ``False``.
        high_open (bool): Refuse ``high``. Defaults to ``False``.

    Returns:
        float: The value.

    Raises:
        TypeError: Not a real number (a string, ``None``, a bool).
        ValueError: Outside the interval, NaN or infinite.
    """
    try:
        number = validation.real_number(name, value)  # TypeError if not one
    except ValueError:  # NaN or infinite: named with the interval below
        number = math.nan
    low_ok = low < number if low_open else low <= number
    high_ok = number < high if high_open else number <= high
    if not (low_ok and high_ok):
        interval = (f'{"(" if low_open else "["}{low:g}, {high:g}'
                    f'{")" if high_open else "]"}')
        raise ValueError(f'{name} must be in {interval}, got {value!r}')
    return number


def _count(name: str, value, low: int = 1) -> int:
    """``int(value)``, an integer ``>= low`` (not a bool); errors name both.

    Raises:
        TypeError: Not an integer (``2.0`` is not), or a bool.
        ValueError: Less than ``low``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f'{name} must be an integer, got {value!r}')
    if value < low:
        raise ValueError(f'{name} must be >= {low}, got {value!r}')
    return int(value)


def _counts(name: str, value: IntOrSeq) -> IntOrSeq:
    """An integer >= 1, or a non-empty sequence of them (as a tuple).

    Raises:
        TypeError: Neither an integer nor a sequence of integers.
        ValueError: An empty sequence, or an integer < 1.
    """
    if not isinstance(value, abc.Sequence) or isinstance(value, str):
        return _count(name, value)
    if not value:
        raise ValueError(f'{name} must be an integer >= 1 or a non-empty '
                         f'sequence of them, got {value!r}')
    return tuple(_count(f'{name}[{i}]', v) for i, v in enumerate(value))


def _at_scale(value: IntOrSeq, scale: int) -> int:
    """Value at pyramid level ``scale`` (0 = finest).

    ``value`` is an int for every level, or a sequence finest first whose
    last entry also holds for the remaining, coarser levels.
    """
    if isinstance(value, int):
        return value
    return int(value[min(scale, len(value) - 1)])


@MODELS.register_module()
class TVL1OpticalFlow(nn.Module):
    """M1 of the teacher: TV-L1 optical flow unrolled into layers.

    The duality-based TV-L1 of Zach, Pock and Bischof (DAGM 2007), written as
    a fixed number of layers as in TVNet (Fan et al., CVPR 2018), so that it
    is batched, has a predictable cost and passes gradients (autograd). It
    turns the RGB clip into the flow that M2 (the flow R3D-18) classifies.

    For each pair ``(I0, I1)`` of consecutive frames, on each level of an
    image pyramid (coarsest first) and for each of ``num_warps`` warps, with
    ``u`` the flow, ``v`` its auxiliary copy and ``p`` the dual field:

    - ``rho(u) = I1(x + u0) + grad I1(x + u0) . (u - u0) - I0``;
    - ``v = u - clamp(rho / |grad I1|^2, -lambda_ theta, lambda_ theta)
      grad I1`` (the thresholding step);
    - ``u = v + theta div p``;
    - ``p = (p + tau / theta grad u) / (1 + tau / theta |grad u|)``,

    the last three repeated ``num_iters`` times; the dual field starts at 0
    on each level, the flow at the previous (coarser) level's. Levels are
    ``zoom_factor`` apart, their number is TVNet's
    ``min(1 + log(sqrt(H^2 + W^2) / 4) / log(1 / zoom_factor), num_scales)``.

    Input convention: ``forward`` takes an ``(N, 3, T, H, W)`` raw RGB float
    clip, values in ``0..255``: ``lambda_`` is tuned for grey levels in
    ``0..255``, so the scale matters. In the teacher,
    :class:`~tsdistill.models.recognizers.FlowRecognizer3D` undoes its data
    preprocessor's normalisation before M1; flow extraction passes the
    decoded frames.

    Presets (measured by ``tools/benchmarks/flow_benchmark.py``, see
    docs/benchmarks.md): the defaults (5 scales, 5 warps, 8 iterations) are
    more accurate than OpenCV's DualTVL1 and >= 5x faster on CPU at 112x112;
    :meth:`fast` (or, in a config, :attr:`FAST_PRESET`'s keyword arguments
    ``num_warps=1, num_iters=(8, 20)``) is the cheap one; :meth:`accurate`
    (:attr:`ACCURATE_PRESET`, ``num_iters=12``) the one for real frames
    (Middlebury, Baker et al. IJCV 2011: mean EPE 0.27 px over Dimetrodon,
    Grove2, Hydrangea and Urban2 against the default's 0.29, at about 1.25x
    the default's cost).

    OpenCV differences: no median filter by default (``median_size``; on CPU
    it costs more than the iterations), zoom 0.5 and TVNet's Gaussian
    pre-smoothing, fixed iteration counts instead of a stopping tolerance,
    bilinear instead of bicubic warping.

    Backends (``backend``): the warps dominate M1's cost on CPU: each is a
    linearisation (I1 and its gradient sampled at ``x + u``) and
    iterations of ~20 small element-wise ops. ``'auto'`` runs all warps of
    a pyramid level, linearisations and iterations, as one fused C++ call
    (:mod:`~tsdistill.models.flow.fused`, compiled on first use and cached)
    whenever it can: CPU float32 tensors, ``trainable=False`` and no
    gradient needed (under ``torch.no_grad()``, or no input requires grad),
    as for the frozen teacher and flow extraction; otherwise, or if the
    kernel cannot be built (one warning), it runs the eager torch ops,
    which autograd differentiates. Both compute the same arithmetic and
    differ by float32 rounding only (torch fuses some multiply-adds, takes
    MKL's square root and samples through ``grid_sample``'s normalised
    coordinates, the kernel in pixels): <= 5e-7 after the iterations
    around one linearisation, ~1e-5 px after a level's warps (smooth
    frames), a mean of 1e-6 to 1e-4 px over a full forward (synthetic
    clips, Middlebury; the same EPE to 4 decimals). Warps amplify rounding
    where the flow is ill-posed: at a few pixels (13 of 307200 over 0.1 px
    on Middlebury's Urban2, up to 4 px) the two differ as much as eager
    float32 differs from float64 there. ``'eager'`` always runs the torch
    ops; ``'fused'`` always the kernel, and raises (naming the reason)
    where it cannot.

    CPU note: on a CPU shared with other busy processes, each eager op's
    intra-op thread barrier can stall, so ``torch.set_num_threads(1)`` is
    then several times faster than 2+ threads (it costs ~25 % on an idle
    2-core machine); the fused kernel has one barrier per level and hands
    out the images dynamically, so a thread the neighbour slows takes
    fewer of them.

    Args:
        tau (float): Time step of the dual update, in ``(0, 0.25]``
            (:data:`MAX_TAU`). Defaults to ``0.25``.
        lambda_ (float): Weight of the data term (smaller: smoother flow),
            in ``[1e-6, 1e6]`` (:data:`WEIGHT_RANGE`). Defaults to
            ``0.15``.
        theta (float): Coupling of ``u`` and ``v``, in ``[1e-6, 1e6]``.
            Defaults to ``0.3``.
        num_scales (int): Maximum number of pyramid levels, >= 1. Defaults
            to ``5``.
        num_warps (int | Sequence[int]): Warps (re-linearisations) per
            level, >= 1; a sequence gives them per level, finest first, its
            last entry repeated for coarser levels. Defaults to ``5``.
        num_iters (int | Sequence[int]): Unrolled iterations per warp, per
            level like ``num_warps``. Defaults to ``8``.
        zoom_factor (float): Down-sampling factor between pyramid levels,
            in ``(0, 1)``. Defaults to ``0.5``.
        smooth_sigma (float): Sigma (pixels) of the Gaussian pre-smoothing of
            the grey frames (5x5 for ``0.8``, as TVNet), in ``[0.1, 10]``
            (:data:`SMOOTH_SIGMA_RANGE`); ``0`` disables it. Defaults to
            ``0.8``.
        median_size (int): Side of the median filter applied to the flow
            after each warp, as OpenCV's DualTVL1 does: odd, or ``0`` or
            ``1`` (disabled). Defaults to ``0``.
        trainable (bool): Make TVNet's learnable parts ``nn.Parameter``s: the
            image-gradient, forward-difference and divergence kernels and an
            initial flow (``init_flow_size``, resized to the coarsest
            level). Otherwise the kernels are buffers and the initial flow is
            zero. Defaults to ``False``.
        init_flow_size (Sequence[int]): ``(h, w)`` of the learnable initial
            flow, each >= 1. Defaults to ``(8, 8)``.
        eps (float): Added to ``|grad I1|^2`` before dividing by it, in
            ``[1e-30, 1e6]`` (:data:`EPS_RANGE`). Defaults to ``1e-6``.
        backend (str): ``'auto'``, ``'eager'`` or ``'fused'``: how the
            iterations run (see above; the flow is the same to float32
            rounding). ``'fused'`` needs ``trainable=False``. Defaults to
            ``'auto'``.

    Raises:
        TypeError: An argument of the wrong kind (a float where an integer
            is needed, a string, a bool for a number); the error names the
            argument and its value.
        ValueError: A number out of its range above (NaN and infinities
            included); the error names the argument and its value.
    """

    #: The cheap setting: one warp per level, 8 iterations on the finest
    #: level and 20 on the coarser (cheap) ones.
    FAST_PRESET = dict(num_warps=1, num_iters=(8, 20))

    #: The setting for real frames: 12 iterations per warp on every level
    #: (the default's 5 warps and 5 scales). On the Middlebury pairs, more
    #: iterations per warp gained more per unit of time than more warps,
    #: more or finer scales, another lambda_ or theta, or the median
    #: filter (``median_size=3`` after every warp: about 0.004 px less EPE
    #: for about twice the time, so it stays off). 16 iterations reach
    #: 0.260 px instead of 0.267 at about 1.5x the default's cost instead of
    #: 1.25x, too close to 10x OpenCV's time.
    ACCURATE_PRESET = dict(num_iters=12)

    #: Arguments that choose how M1 runs, not the flow it computes: left
    #: out of the settings that flow rawframes record
    #: (:func:`~tsdistill.data_tools.flow_extraction.flow_settings`), so
    #: folders extracted before ``backend`` existed, or with another
    #: backend, match.
    RUNTIME_ARGUMENTS = ('backend', )

    def __init__(self,
                 tau: float = 0.25,
                 lambda_: float = 0.15,
                 theta: float = 0.3,
                 num_scales: int = 5,
                 num_warps: IntOrSeq = 5,
                 num_iters: IntOrSeq = 8,
                 zoom_factor: float = 0.5,
                 smooth_sigma: float = 0.8,
                 median_size: int = 0,
                 trainable: bool = False,
                 init_flow_size: Sequence[int] = (8, 8),
                 eps: float = 1e-6,
                 backend: str = 'auto') -> None:
        super().__init__()
        tau = _real('tau', tau, 0.0, MAX_TAU, low_open=True)
        lambda_ = _real('lambda_', lambda_, *WEIGHT_RANGE)
        theta = _real('theta', theta, *WEIGHT_RANGE)
        num_scales = _count('num_scales', num_scales)
        num_warps = _counts('num_warps', num_warps)
        num_iters = _counts('num_iters', num_iters)
        zoom_factor = _real(
            'zoom_factor',
            zoom_factor,
            0.0,
            1.0,
            low_open=True,
            high_open=True)
        if not (isinstance(smooth_sigma, numbers.Real)
                and not isinstance(smooth_sigma, bool) and smooth_sigma == 0):
            try:
                smooth_sigma = _real('smooth_sigma', smooth_sigma,
                                     *SMOOTH_SIGMA_RANGE)
            except ValueError as error:  # name the other choice
                raise ValueError(f'{error} (or 0: no smoothing)') from None
        median_size = _count('median_size', median_size, low=0)
        if median_size > 1 and median_size % 2 == 0:
            raise ValueError(f'median_size must be odd, got {median_size}')
        trainable = validation.boolean('trainable', trainable)
        if not isinstance(init_flow_size, abc.Sequence) or isinstance(
                init_flow_size, str) or len(init_flow_size) != 2:
            raise ValueError('init_flow_size must be a sequence (h, w), got '
                             f'{init_flow_size!r}')
        init_flow_size = tuple(
            _count(f'init_flow_size[{i}]', v)
            for i, v in enumerate(init_flow_size))
        eps = _real('eps', eps, *EPS_RANGE)
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got '
                             f'{backend!r}')
        if backend == 'fused' and trainable:
            raise ValueError(
                "backend='fused' needs trainable=False: the fused kernel "
                "has the fixed differences, not TVNet's learnable kernels "
                "(use backend='auto' or 'eager')")
        self.tau = tau
        self.lambda_ = lambda_
        self.theta = theta
        self.num_scales = num_scales
        self.num_warps = num_warps
        self.num_iters = num_iters
        self.zoom_factor = zoom_factor
        self.smooth_sigma = smooth_sigma
        self.median_size = median_size
        self.trainable = trainable
        self.eps = eps
        self.backend = backend
        #: The backend of the last pyramid level run, ``'eager'`` or
        #: ``'fused'`` (what ``'auto'`` chose); ``None`` before a forward.
        self.last_backend: Optional[str] = None

        if smooth_sigma > 0:
            # TVNet: a 5x5 Gaussian for sigma 0.8
            radius = max(1, int(round(2.5 * smooth_sigma)))
            self.register_buffer('smooth_kernel',
                                 gaussian_kernel1d(smooth_sigma, radius))
        else:
            self.smooth_kernel = None

        # TVNet's learnable parts. Fixed, the image-gradient kernel is a
        # buffer and the forward / backward differences use slicing (the
        # same stencils, exactly, ~15x faster than conv2d on CPU).
        if trainable:
            self.image_grad_kernel = nn.Parameter(centred_gradient_kernel())
            self.grad_kernel = nn.Parameter(forward_difference_kernel())
            self.div_kernel = nn.Parameter(backward_difference_kernel())
            self.init_flow = nn.Parameter(torch.zeros(1, 2, *init_flow_size))
        else:
            self.register_buffer('image_grad_kernel',
                                 centred_gradient_kernel())
            self.grad_kernel = None
            self.div_kernel = None
            self.init_flow = None

    @classmethod
    def fast(cls, **kwargs) -> 'TVL1OpticalFlow':
        """The cheap setting (>= 20x OpenCV's DualTVL1 on CPU; see
        docs/benchmarks.md).

        Args:
            **kwargs: Any ``__init__`` argument; overrides the preset.

        Returns:
            TVL1OpticalFlow: The module.
        """
        return cls(**{**cls.FAST_PRESET, **kwargs})

    @classmethod
    def accurate(cls, **kwargs) -> 'TVL1OpticalFlow':
        """Real frames: lower EPE at 1.1-1.4x the default's time.

        Arguments and result as :meth:`fast`'s, with :attr:`ACCURATE_PRESET`.
        """
        return cls(**{**cls.ACCURATE_PRESET, **kwargs})

    def extra_repr(self) -> str:
        text = (f'tau={self.tau}, lambda_={self.lambda_}, '
                f'theta={self.theta}, num_scales={self.num_scales}, '
                f'num_warps={self.num_warps}, num_iters={self.num_iters}, '
                f'trainable={self.trainable}, backend={self.backend!r}')
        if self.last_backend is not None:
            text += f', last_backend={self.last_backend!r}'
        return text

    def fused_obstacles(self, *tensors: Tensor) -> List[str]:
        """Why the fused kernel cannot run a level's warps on ``tensors``.

        The kernel's availability (build) is not checked here.

        Args:
            *tensors (Tensor): The level's inputs (frames, flow).

        Returns:
            list[str]: The reasons; empty if it can.
        """
        reasons = []
        if self.grad_kernel is not None or self.div_kernel is not None:
            reasons.append('trainable=True (learnable difference kernels)')
        devices = {t.device.type for t in tensors} - {'cpu'}
        if devices:
            reasons.append(f'tensors on {", ".join(sorted(devices))} (CPU '
                           'only)')
        dtypes = {str(t.dtype) for t in tensors if t.dtype != torch.float32}
        if dtypes:
            reasons.append(f'{", ".join(sorted(dtypes))} tensors (float32 '
                           'only)')
        if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
            reasons.append('a gradient is needed (inputs require grad and '
                           'grad mode is on)')
        return reasons

    def _select_backend(self, *tensors: Tensor) -> str:
        """The backend for a level's warps on ``tensors`` (see ``backend``).

        Args:
            *tensors (Tensor): The level's inputs (frames, flow).

        Returns:
            str: ``'eager'`` or ``'fused'``.

        Raises:
            RuntimeError: ``backend='fused'`` and the kernel cannot run.
        """
        if self.backend == 'eager':
            return 'eager'
        reasons = self.fused_obstacles(*tensors)
        if self.backend == 'auto':
            if reasons or not fused.fused_iterate_available():
                return 'eager'
            return 'fused'
        if not reasons and not fused.fused_iterate_available():
            reasons.append(
                f'the kernel is unavailable ({fused.build_error()})')
        if reasons:
            raise RuntimeError(
                "TVL1OpticalFlow(backend='fused') cannot use the fused "
                f"kernel: {'; '.join(reasons)}. Use backend='auto' (eager "
                "where the kernel cannot run) or 'eager'")
        return 'fused'

    def forward(self, x: Tensor) -> Tensor:
        """Flow between consecutive frames of each clip.

        Args:
            x (Tensor): ``(N, 3, T, H, W)`` raw RGB clips (``0..255``),
                ``T >= 2``.

        Returns:
            Tensor: ``(N, 2, T-1, H, W)`` float32 flow in pixels from frame
            ``t`` to ``t+1``; channel 0 = x (right), 1 = y (down).

        Raises:
            ValueError: Another shape (channels-last input is named), or
                NaN / infinite values in ``x``.
        """
        if x.dim() == 5 and x.shape[-1] == 3:
            # (N, T, H, W, 3); with T = 3 it would pass the check below
            raise ValueError(
                'TVL1OpticalFlow expects (N, 3, T, H, W) RGB, got '
                f'{tuple(x.shape)}: channels-last (N, T, H, W, 3) input? '
                'Use x.permute(0, 4, 1, 2, 3)')
        if x.dim() != 5 or x.shape[1] != 3 or x.shape[2] < 2:
            raise ValueError('TVL1OpticalFlow expects (N, 3, T, H, W) RGB '
                             f'with T >= 2, got {tuple(x.shape)}')
        finite = torch.isfinite(x)
        if not bool(finite.all()):
            raise ValueError(
                f'TVL1OpticalFlow input holds {int((~finite).sum())} NaN or '
                'infinite value(s); the flow of every pair would be '
                'corrupted')
        n, _, t, h, w = x.shape
        grey = rgb_to_grey(x.float())
        # (N, 1, T, H, W) -> (N * T, 1, H, W): every frame once
        frames = grey.transpose(1, 2).reshape(n * t, 1, h, w)
        if self.smooth_kernel is not None:
            frames = gaussian_blur(frames, self.smooth_kernel)
        num_scales = num_pyramid_scales(h, w, self.zoom_factor,
                                        self.num_scales)
        sizes = pyramid_sizes(h, w, self.zoom_factor, num_scales)
        levels = image_pyramid(frames, sizes)
        # all pairs (t, t+1) of all clips folded into the batch: N * (T-1)
        pairs = []
        for level in levels:
            level = level.view(n, t, 1, *level.shape[-2:])
            pairs.append((level[:, :-1].reshape(-1, 1, *level.shape[-2:]),
                          level[:, 1:].reshape(-1, 1, *level.shape[-2:])))

        b = n * (t - 1)
        if self.init_flow is not None:
            u = resize_flow(self.init_flow, sizes[-1]).expand(b, -1, -1, -1)
        else:
            u = x.new_zeros(b, 2, *sizes[-1], dtype=torch.float32)
        for s in reversed(range(num_scales)):
            if u.shape[-2:] != sizes[s]:
                # u at the finer level: zoomed in, vectors scaled by 1/zoom
                u = resize_flow(u, sizes[s])
            u = self._one_scale(*pairs[s], u, _at_scale(self.num_warps, s),
                                _at_scale(self.num_iters, s))
        return u.view(n, t - 1, 2, h, w).transpose(1, 2)

    def _one_scale(self, i0: Tensor, i1: Tensor, u: Tensor, num_warps: int,
                   num_iters: int) -> Tensor:
        """TV-L1 warps and iterations on one pyramid level.

        The dual field starts at 0 on every level (as in Sanchez et al.'s
        reference implementation). The backend is chosen once per level;
        the fused kernel runs the warps (:meth:`_one_scale_fused`).

        Args:
            i0 (Tensor): ``(B, 1, h, w)`` first frames.
            i1 (Tensor): ``(B, 1, h, w)`` second frames.
            u (Tensor): ``(B, 2, h, w)`` initial flow ``(u_x, u_y)``.
            num_warps (int): Warps on this level.
            num_iters (int): Iterations per warp.

        Returns:
            Tensor: ``(B, 2, h, w)`` the refined flow.
        """
        i1_grad = image_gradients(i1, self.image_grad_kernel)[:, 0]
        i1_and_grad = torch.cat((i1, i1_grad), dim=1)
        self.last_backend = self._select_backend(i0, i1_and_grad, u)
        if self.last_backend == 'fused':
            return self._one_scale_fused(i0, i1_and_grad, u, num_warps,
                                         num_iters)
        # q = theta * p, the dual fields of u_x and u_y scaled by theta
        # (saves a multiplication per iteration), x and y components apart
        q_x = torch.zeros_like(u)
        q_y = torch.zeros_like(u)
        for _ in range(num_warps):
            # linearise I1 around u0: I1(x + u0), grad I1(x + u0)
            warped = warp(i1_and_grad, u)
            i1w, g = warped[:, :1], warped[:, 1:]
            g_x, g_y = g[:, :1], g[:, 1:]
            inv_grad_sq = 1.0 / (g_x * g_x + g_y * g_y + self.eps)
            # rho_c = I1(x + u0) - grad I1(x + u0) . u0 - I0
            rho_c = i1w - g_x * u[:, :1] - g_y * u[:, 1:] - i0
            u, q_x, q_y = self._iterate(u, q_x, q_y, rho_c, g, inv_grad_sq,
                                        num_iters)
            if self.median_size > 1:
                u = median_filter(u, self.median_size)
        return u

    def _one_scale_fused(self, i0: Tensor, i1_and_grad: Tensor, u: Tensor,
                         num_warps: int, num_iters: int) -> Tensor:
        """:meth:`_one_scale`'s warps in the fused kernel.

        One kernel call for the level (each warp's linearisation and
        iterations), or, with the median filter, one per warp followed by
        the filter. ``u`` is not modified.

        Args:
            i0 (Tensor): ``(B, 1, h, w)`` first frames.
            i1_and_grad (Tensor): ``(B, 3, h, w)`` second frames, their
                d/dx and d/dy.
            u (Tensor): ``(B, 2, h, w)`` initial flow.
            num_warps (int): Warps on this level.
            num_iters (int): Iterations per warp.

        Returns:
            Tensor: ``(B, 2, h, w)`` the refined flow.
        """
        u = u.clone(memory_format=torch.contiguous_format)
        q_x = torch.zeros_like(u)
        q_y = torch.zeros_like(u)
        args = (i0.contiguous(), i1_and_grad.contiguous(),
                self.lambda_ * self.theta, self.tau, self.tau / self.theta,
                NORM_EPS, self.eps)
        if self.median_size <= 1:
            fused.tvl1_warps_(u, q_x, q_y, *args, num_warps, num_iters)
            return u
        for _ in range(num_warps):
            fused.tvl1_warps_(u, q_x, q_y, *args, 1, num_iters)
            u = median_filter(u, self.median_size).contiguous()
        return u

    def _iterate(self, u: Tensor, q_x: Tensor, q_y: Tensor, rho_c: Tensor,
                 g: Tensor, inv_grad_sq: Tensor,
                 num_iters: int) -> Tuple[Tensor, Tensor, Tensor]:
        """``num_iters`` TV-L1 iterations around one linearisation.

        The eager path's iterations, torch ops that autograd differentiates
        (the fused kernel runs a whole level instead:
        :meth:`_one_scale_fused`). The inputs are not modified.

        Args:
            u (Tensor): ``(B, 2, h, w)`` flow.
            q_x (Tensor): ``(B, 2, h, w)`` x components of ``theta * p``.
            q_y (Tensor): ``(B, 2, h, w)`` y components of ``theta * p``.
            rho_c (Tensor): ``(B, 1, h, w)`` constant part of the residual.
            g (Tensor): ``(B, 2, h, w)`` warped image gradient.
            inv_grad_sq (Tensor): ``(B, 1, h, w)`` ``1 / |grad I1|^2``.
            num_iters (int): Iterations.

        Returns:
            tuple[Tensor, Tensor, Tensor]: Updated ``u``, ``q_x``, ``q_y``.
        """
        l_t = self.lambda_ * self.theta
        tau_theta = self.tau / self.theta
        g_x, g_y = g[:, :1], g[:, 1:]
        # In-place ops (``_``) only on fresh temporaries that autograd does
        # not save: the same values and gradients, fewer allocations.
        for _ in range(num_iters):
            # rho = rho_c + grad I1 . u
            rho = torch.addcmul(rho_c, g_x, u[:, :1]).addcmul_(g_y, u[:, 1:])
            # v = u - clamp(rho / |grad I1|^2, -l_t, l_t) grad I1,
            # l_t = lambda * theta (the thresholding step)
            step = (rho * inv_grad_sq).clamp_(-l_t, l_t)
            v = torch.addcmul(u, g, step, value=-1.0)
            # u = v + theta div p = v + div q
            u = v.add_(divergence(q_x, q_y, self.div_kernel))
            # p = (p + tau/theta grad u) / (1 + tau/theta |grad u|),
            # i.e. q = (q + tau grad u) / (1 + tau/theta |grad u|)
            du_x, du_y = forward_gradient(u, self.grad_kernel)
            # |grad u|, + NORM_EPS: sqrt'(0) would give NaN gradients
            du_norm = (du_x * du_x).addcmul_(du_y, du_y).add_(NORM_EPS).sqrt_()
            shrink = (du_norm * tau_theta).add_(1.0).reciprocal_()
            q_x = torch.add(q_x, du_x, alpha=self.tau).mul_(shrink)
            q_y = torch.add(q_y, du_y, alpha=self.tau).mul_(shrink)
        return u, q_x, q_y
