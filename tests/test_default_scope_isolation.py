# Copyright (c) tsdistill authors. All rights reserved.
"""A test's default scope does not leak into the next (conftest.py).

The two tests run in file order: the first leaves the scope a Runner
without ``default_scope`` would leave, the second must not see it.
"""
from mmaction.registry import MODELS
from mmengine.registry import DefaultScope


def test_a_test_may_leave_the_mmengine_scope():
    DefaultScope.get_instance('scope-left-by-a-test', scope_name='mmengine')
    assert DefaultScope.get_current_instance().scope_name == 'mmengine'


def test_the_next_test_builds_mmaction_models():
    assert DefaultScope.get_current_instance().scope_name == 'mmaction'
    head = MODELS.build(dict(type='I3DHead', num_classes=2, in_channels=4))
    assert type(head).__name__ == 'I3DHead'
