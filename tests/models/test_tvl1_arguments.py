# Copyright (c) tsdistill authors. All rights reserved.
"""M1's arguments: each is checked when TVL1OpticalFlow is built.

Values out of range used to run. On a 48x48 pair 1 px apart (defaults
otherwise): ``lambda_=-0.15`` gave a mean flow of -9.6 px (up to 39 px),
``lambda_=nan`` a NaN flow with the eager ops and a finite one (up to
87 px) with the kernel, ``theta=inf`` flows up to 82 px (eager) and 25 px
(kernel). Now each number is refused, naming the argument and the value,
or M1 returns a finite flow with both backends (a property test over
arbitrary floats).
"""
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsdistill.models.flow import TVL1OpticalFlow
from tsdistill.models.flow import tvl1 as tvl1_module

#: The real-valued arguments, their defaults and the ends of their ranges.
REAL_ARGUMENTS = {
    'tau': (0.25, 0.0, tvl1_module.MAX_TAU),
    'lambda_': (0.15, *tvl1_module.WEIGHT_RANGE),
    'theta': (0.3, *tvl1_module.WEIGHT_RANGE),
    'zoom_factor': (0.5, 0.0, 1.0),
    'smooth_sigma': (0.8, *tvl1_module.SMOOTH_SIGMA_RANGE),
    'eps': (1e-6, *tvl1_module.EPS_RANGE),
}


def _pair(size=(12, 16)):
    """A textured pair (0..255), the second frame 1 px to the right."""
    gen = torch.Generator().manual_seed(0)
    frame = 255 * torch.rand(1, 3, 1, size[0], size[1] + 1, generator=gen)
    return torch.cat((frame[..., 1:], frame[..., :-1]), dim=2)


def _flow(backend, **kwargs):
    module = TVL1OpticalFlow(backend=backend, **kwargs)
    with torch.no_grad():
        flow = module(_pair())
    assert module.last_backend == backend
    return flow


@pytest.mark.parametrize(
    'name, value',
    [
        ('lambda_', -0.15),  # ran: a 1 px shift came out as -9.6 px
        ('lambda_', math.nan),  # ran: NaN flow eager, finite fused
        ('lambda_', 0.0),
        ('theta', math.inf),  # ran: the backends far apart
        ('theta', 0.0),
        ('theta', -0.3),
        ('tau', math.nan),
        ('tau', 0.3),  # beyond the dual step's bound
        ('tau', 1e300),
        ('zoom_factor', 1.0),
        ('zoom_factor', -math.inf),
        ('smooth_sigma', -0.8),
        ('smooth_sigma', 1e-300),
        ('smooth_sigma', 1e6),
        ('eps', 0.0),
        ('eps', -1e-6),
        ('eps', math.inf),
    ])
def test_out_of_range_numbers_are_refused(name, value):
    with pytest.raises(ValueError, match=f'^{name} must be in ') as info:
        TVL1OpticalFlow(**{name: value})
    assert f'got {value!r}' in str(info.value)


@pytest.mark.parametrize('name, value, error', [
    ('num_scales', 0, ValueError),
    ('num_scales', 2.0, TypeError),
    ('num_scales', True, TypeError),
    ('num_warps', 0, ValueError),
    ('num_warps', (), ValueError),
    ('num_warps', (2, 0), ValueError),
    ('num_warps', 1.5, TypeError),
    ('num_iters', [8, 2.5], TypeError),
    ('num_iters', 'eight', TypeError),
    ('num_iters', -1, ValueError),
    ('median_size', -1, ValueError),
    ('median_size', 4, ValueError),
    ('median_size', 3.0, TypeError),
    ('init_flow_size', (8, ), ValueError),
    ('init_flow_size', (8, 0), ValueError),
    ('init_flow_size', (8, 8.0), TypeError),
    ('trainable', 'no', TypeError),
    ('tau', '0.25', TypeError),
    ('lambda_', None, TypeError),
    ('theta', False, TypeError),
])
def test_wrong_kinds_and_counts_are_refused(name, value, error):
    with pytest.raises(error, match=f'^{name}') as info:
        TVL1OpticalFlow(**{name: value})
    message = str(info.value)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        # the entry that is wrong: name[i] ... got entry
        i = 1
        assert message.startswith(f'{name}[{i}] must be'), message
        assert message.endswith(f'got {value[i]!r}'), message
    else:
        assert message.startswith(f'{name} must be'), message
        assert message.endswith(f'got {value!r}'), message


def test_values_in_range_are_kept():
    module = TVL1OpticalFlow(
        tau=1 / 8,
        lambda_=1,
        num_warps=[3, 2],
        num_iters=(8, 20),
        smooth_sigma=0,
        median_size=1,
        init_flow_size=[4, 6])
    assert module.tau == 0.125 and module.lambda_ == 1.0
    assert isinstance(module.lambda_, float)
    assert module.num_warps == (3, 2) and module.num_iters == (8, 20)
    assert module.smooth_sigma == 0 and module.smooth_kernel is None
    assert TVL1OpticalFlow(
        trainable=True, init_flow_size=[4, 6]).init_flow.shape == (1, 2, 4, 6)


@pytest.mark.parametrize('kwargs', [
    dict(lambda_=1e6, theta=1e6, eps=1e-30, num_iters=20),
    dict(lambda_=1e-6, theta=1e-6, eps=1e6),
    dict(lambda_=1e6, theta=1e-6, tau=1e-300, smooth_sigma=10.0),
    dict(theta=1e6, zoom_factor=5e-324, smooth_sigma=0.1),
    dict(zoom_factor=1 - 1e-16, num_scales=3),
])
def test_the_ends_of_the_ranges_give_finite_flow(m1_backend, kwargs):
    flow = _flow(m1_backend, **kwargs)
    assert flow.shape == (1, 2, 1, 12, 16)
    assert torch.isfinite(flow).all()


def _in_range(default, low, high):
    """The default, the ends of the range and values inside it."""
    return st.one_of(
        st.just(default), st.sampled_from([low, high]),
        st.floats(min_value=low, max_value=high),
        st.floats(
            min_value=math.log(max(low, 1e-300)),
            max_value=math.log(high)).map(math.exp))


@st.composite
def real_arguments(draw):
    """Values near or in range for all, arbitrary floats (NaN, infinities,
    subnormals, huge) for up to three: six arbitrary floats at once would
    nearly always hold one out of range."""
    kwargs = {
        name: draw(_in_range(*spec))
        for name, spec in REAL_ARGUMENTS.items()
    }
    arbitrary = draw(
        st.sets(st.sampled_from(sorted(REAL_ARGUMENTS)), max_size=3))
    for name in sorted(arbitrary):
        kwargs[name] = draw(st.floats())
    return kwargs


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(real_arguments())
def test_any_floats_are_refused_by_name_or_give_finite_flow(
        m1_backend, kwargs):
    try:
        module = TVL1OpticalFlow(backend=m1_backend, **kwargs)
    except ValueError as error:
        # names one of them and its value, which alone is refused too
        name = str(error).split(' ', 1)[0]
        assert name in kwargs, str(error)
        assert f'got {kwargs[name]!r}' in str(error)
        with pytest.raises(ValueError, match=f'^{name} must be in '):
            TVL1OpticalFlow(**{name: kwargs[name]})
        return
    with torch.no_grad():
        flow = module(_pair())
    assert module.last_backend == m1_backend
    assert flow.shape == (1, 2, 1, 12, 16) and flow.dtype == torch.float32
    assert torch.isfinite(flow).all(), kwargs
