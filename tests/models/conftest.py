# Copyright (c) tsdistill authors. All rights reserved.
"""Fixtures of M1's tests."""
import pytest

from tsdistill.models.flow import fused


@pytest.fixture(scope='module', params=['eager', 'fused'])
def m1_backend(request):
    """Each backend of M1 (``TVL1OpticalFlow(backend=...)``).

    The fused one is skipped only without the tools to build it (C++
    compiler, ninja); with them, a failed build is a failure.
    """
    if request.param == 'fused':
        missing = fused._missing_tool()
        if missing:
            pytest.skip(f'the fused kernel cannot be built here: {missing}')
        assert fused.fused_iterate_available(), fused.build_error()
    return request.param
