# Copyright (c) tsdistill authors. All rights reserved.
"""Where the configs and tools shipped with the package are.

As mmaction2 does (``mmaction/.mim``), ``setup.py`` ships ``configs/`` and
``tools/`` inside the package as ``tsdistill/.mim/{configs,tools}``: copies
in a wheel or sdist, links into the checkout in an editable install. No
library module reads the repository tree: a config named by the library is
looked up here.
"""
import os.path as osp

#: The shipped files: ``tsdistill/.mim``.
MIM_ROOT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim')


def shipped_path(*parts: str) -> str:
    """The path of a file shipped in ``tsdistill/.mim``.

    Args:
        *parts (str): Its path below ``.mim``, e.g. ``'configs', 'demo',
            'x.py'``.

    Returns:
        str: The absolute path.

    Raises:
        FileNotFoundError: When this install ships no such file (an
            install made without ``setup.py``'s ``.mim`` step, e.g. a bare
            ``PYTHONPATH`` checkout).
    """
    path = osp.join(MIM_ROOT, *parts)
    if not osp.exists(path):
        raise FileNotFoundError(
            f'{path}: not shipped with this install of tsdistill '
            f'({osp.dirname(MIM_ROOT)}); install it with `pip install .` '
            'or `pip install -e .` from a checkout')
    return path
