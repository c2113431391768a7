# Copyright (c) tsdistill authors. All rights reserved.
"""Shared fixtures: tiny generated videos, no downloads."""
import pytest
from _helpers.videos import write_tiny_video
from mmaction.utils import register_all_modules
from mmengine.logging import MessageHub
from mmengine.registry import DefaultScope

import tsdistill  # noqa: F401

# mmaction2's own tests do the same: default scope 'mmaction' for builds
register_all_modules(init_default_scope=True)


@pytest.fixture(autouse=True)
def mmaction_default_scope():
    """Each test starts in the default scope 'mmaction' and leaves none.

    A Runner built without ``default_scope`` makes 'mmengine' the current
    scope; left in place, the next test's ``MODELS.build`` looks in
    mmengine's registry and does not find mmaction2's models.
    """
    with DefaultScope.overwrite_default_scope('mmaction'):
        yield


@pytest.fixture(autouse=True)
def fresh_message_hub(request):
    """Each test starts with a message hub of its own.

    The current ``MessageHub`` carries a Runner's training position
    (``epoch``, ``max_epochs``, ...) after its run; a model called outside a
    Runner in a later test would read that position (``LossSchedule``).
    """
    MessageHub.get_instance(f'test-{request.node.nodeid}')


@pytest.fixture
def tiny_video_list(tmp_path):
    """Four tiny videos of two classes and an mmaction2 VideoDataset list.

    Returns:
        tuple: ``(data_root, ann_file)``.
    """
    root = tmp_path / 'videos'
    lines = []
    for i in range(4):
        label = i % 2
        rel = f'class{label}/v{i}.avi'
        write_tiny_video(str(root / rel), shift=1 if label else -1, seed=i)
        lines.append(f'{rel} {label}')
    ann = tmp_path / 'train_list.txt'
    ann.write_text('\n'.join(lines) + '\n')
    return str(root), str(ann)
