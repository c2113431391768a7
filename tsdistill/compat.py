# Copyright (c) tsdistill authors. All rights reserved.
"""Compatibility layer for mmaction2 1.2.0 / mmengine 0.10.7 on current torch.

``import tsdistill`` calls :func:`apply_all` once. It first checks that
mmcv is installed (:func:`require_mmcv`): tsdistill, like mmaction2, does
not require it unconditionally, and without it ``import tsdistill`` stops
with the pip command to run. Every patch checks whether the installed
version still has the problem and does nothing otherwise; none of them edits
site-packages.

1. ``mmaction2==1.2.0`` is published without ``mmaction/models/localizers/drn``
   although ``mmaction/models/localizers/__init__.py`` imports it, so
   ``import mmaction.models`` fails. :func:`patch_missing_drn` registers a
   placeholder module whose ``DRN`` raises a clear error when it is built.
2. ``mmaction2`` imports ``importlib_metadata`` without declaring it. It is a
   declared dependency of tsdistill; :func:`patch_importlib_metadata` falls
   back to the standard library's ``importlib.metadata`` if it is absent.
3. torch >= 2.6 loads with ``weights_only=True`` by default, which refuses
   the checkpoints mmengine itself writes (message hub with ``HistoryBuffer``,
   numpy arrays and scalars). :func:`patch_checkpoint_loading` allow-lists
   exactly those types with ``torch.serialization.add_safe_globals``;
   ``builtins.getattr`` (which pickle uses for ``HistoryBuffer``'s statistics
   methods) is replaced by a restricted version that only resolves those
   methods. Anything else is still refused, and mmengine's local checkpoint
   loader is wrapped so the error names the file and the refused globals.
   :func:`load_pickle_restricted` reads other pickles (mmengine ``--dump``
   files) with the same unpickler and allow-list.
4. mmengine 0.10.7 calls ``torch.cuda.set_device`` when it initialises a
   ``pytorch`` or ``slurm`` launch, even for the ``gloo`` backend, which
   fails on a machine without CUDA. :func:`patch_cpu_distributed` skips
   that call (and only that call) while CUDA is unavailable; the Runner
   also wraps the model with ``device_ids=[LOCAL_RANK]``, which DDP refuses
   for a CPU module, so ``MMDistributedDataParallel`` drops ``device_ids``
   for modules whose parameters are on the CPU. CPU-only multi-process runs
   (``TSDISTILL_DIST_BACKEND=gloo``) then work unchanged.
5. mmaction2 1.2.0's ``Flip`` still flips flow in the 0.x layout, a list
   alternating x and y images (it inverts every other image), but its
   ``RawFrameDecode`` now stacks x and y into one ``(H, W, 2)`` image per
   frame: a flipped clip gets both components of every other frame
   inverted and no x of the others. :func:`patch_flow_flip` makes ``Flip``
   invert the x channel (``255 - x``, mmcv's ``iminvert``) of every stacked
   flow image, and leaves every other input to the original.
"""
import functools
import importlib
import importlib.util
import os.path as osp
import pickle
import sys
import types
from typing import Any, Callable, List, Tuple

import torch

#: mmaction2 1.2.0 asserts this range of mmcv at import.
MMCV_RANGE = '>=2.0.0,<2.2.0'
_DRN_MODULE = 'mmaction.models.localizers.drn'
_DRN_MESSAGE = (
    'DRN is unavailable: the published mmaction2 1.2.0 package does not '
    'contain mmaction/models/localizers/drn, so tsdistill registered a '
    'placeholder to let `import mmaction.models` work. Install mmaction2 '
    'from a source checkout to use DRN.')


def require_mmcv() -> None:
    """Stop with the pip command to run when no mmcv is installed.

    Full mmcv and the pure-Python ``mmcv-lite`` both install the ``mmcv``
    package; tsdistill requires neither (setup.py's extras ``lite`` and
    ``full`` choose one), so that pip never installs one over the other.

    Raises:
        ImportError: Neither is installed; the message names the commands.
    """
    if importlib.util.find_spec('mmcv') is not None:
        return
    raise ImportError(
        f'tsdistill needs mmcv {MMCV_RANGE} (mmaction2 1.2.0 asserts the '
        f'range), and {sys.executable} has neither mmcv nor mmcv-lite. '
        f'Install the pure-Python build, enough for tsdistill\'s 3D CNNs: '
        f'`pip install "mmcv-lite{MMCV_RANGE}"` (or install tsdistill with '
        f'its extra: `pip install "tsdistill[lite]"`, from a checkout '
        f'`pip install -e ".[lite]"`); or full mmcv built for your torch: '
        f'`pip install "mmcv{MMCV_RANGE}"` (extra `[full]`).')


def _mmaction_has_drn() -> bool:
    """Whether the installed mmaction2 ships the ``drn`` sub-package."""
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return True  # no mmaction2 at all: nothing to patch
    root = list(spec.submodule_search_locations)[0]
    return osp.isdir(osp.join(root, 'models', 'localizers', 'drn'))


def patch_missing_drn() -> bool:
    """Make ``import mmaction.models`` work when ``drn`` is missing.

    Returns:
        bool: True if the placeholder was installed, False if not needed.
    """
    if _DRN_MODULE in sys.modules or _mmaction_has_drn():
        return False
    from mmaction.registry import MODELS

    class DRN(torch.nn.Module):
        """Placeholder for mmaction2's DRN, missing from its 1.2.0 wheel."""

        def __init__(self, *args, **kwargs) -> None:
            raise ImportError(_DRN_MESSAGE)

    package = types.ModuleType(_DRN_MODULE)
    package.__path__ = []  # a package, so ``drn.drn`` can be imported
    package.__doc__ = _DRN_MESSAGE
    module = types.ModuleType(_DRN_MODULE + '.drn')
    module.DRN = DRN
    DRN.__module__ = module.__name__
    package.drn = module
    sys.modules[package.__name__] = package
    sys.modules[module.__name__] = module
    MODELS.register_module(name='DRN', module=DRN, force=False)
    return True


def patch_importlib_metadata() -> bool:
    """Alias ``importlib_metadata`` to the standard library if missing.

    Returns:
        bool: True if the alias was installed, False if not needed.
    """
    if importlib.util.find_spec('importlib_metadata') is not None:
        return False
    sys.modules['importlib_metadata'] = importlib.import_module(
        'importlib.metadata')
    return True


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods.

    mmengine pickles ``HistoryBuffer._statistics_methods`` as
    ``getattr(HistoryBuffer, 'mean')`` etc. This stands in for
    ``builtins.getattr`` in the weights-only unpickler and resolves nothing
    else.
    """
    from mmengine.logging import HistoryBuffer
    allowed = {'min', 'max', 'mean', 'current'}
    allowed.update(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'tsdistill refuses getattr({obj!r}, {name!r}) while loading a '
        'checkpoint: only HistoryBuffer statistics methods are allowed.')


def mmengine_safe_globals() -> List[Any]:
    """The globals an mmengine 0.10 checkpoint needs beyond plain tensors."""
    import numpy as np
    from mmengine.logging import HistoryBuffer
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    dtype_classes = []
    for code in np.typecodes['All']:
        try:
            dtype_classes.append(type(np.dtype(code)))
        except TypeError:
            continue
    entries: List[Any] = [
        HistoryBuffer, np.ndarray, np.dtype, multiarray._reconstruct,
        multiarray.scalar, (_history_buffer_getattr, 'builtins.getattr')
    ]
    entries += [cls for cls in dtype_classes if cls is not np.dtype]
    return entries


def _weights_only_is_default() -> bool:
    version = tuple(
        int(v) for v in torch.__version__.split('+')[0].split('.')[:2])
    return version >= (2, 6) and hasattr(torch.serialization,
                                         'add_safe_globals')


def _describe_refusal(filename: str, error: Exception) -> str:
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # not a zip checkpoint, or unreadable
        unsafe = []
    return (f'{filename}: refused to load checkpoint under torch.load('
            f'weights_only=True); it holds objects outside the allow-list of '
            f'tsdistill.compat ({", ".join(unsafe) or "see below"}). '
            'Load it with weights_only=False only if you trust its source. '
            f'Original error: {error}')


def _wrap_local_loader(loader: Callable) -> Callable:

    @functools.wraps(loader)
    def load_from_local_named(filename: str, map_location=None):
        try:
            return loader(filename, map_location)
        except pickle.UnpicklingError as error:
            raise pickle.UnpicklingError(
                _describe_refusal(osp.expanduser(filename), error)) from error

    return load_from_local_named


def patch_checkpoint_loading() -> bool:
    """Let mmengine checkpoints load under ``weights_only=True``.

    Returns:
        bool: True if globals were allow-listed, False if not needed.
    """
    if not _weights_only_is_default():
        return False
    from mmengine.runner.checkpoint import CheckpointLoader
    current = [
        entry[0] if isinstance(entry, tuple) else entry
        for entry in torch.serialization.get_safe_globals()
    ]
    if _history_buffer_getattr in current:
        return False  # already applied
    torch.serialization.add_safe_globals(mmengine_safe_globals())
    local = CheckpointLoader._schemes['']
    if not hasattr(local, '__wrapped__'):
        CheckpointLoader.register_scheme(
            prefixes='', loader=_wrap_local_loader(local), force=True)
    return True


def _load_storage_weights_only(data: bytes) -> Any:
    """Stands in for ``torch.storage._load_from_bytes`` in dumps.

    A tensor pickled with plain ``pickle`` (as mmengine's ``dump`` does)
    carries its storage as ``torch.save`` bytes, which torch reloads with
    ``weights_only=False``; this reloads them with ``weights_only=True``.
    """
    import io
    return torch.load(io.BytesIO(data), weights_only=True)


def load_pickle_restricted(path: str) -> Any:
    """Load a pickle file without running code from it.

    For mmengine ``--dump`` files (``DumpResults``: lists of dicts of
    tensors, numpy arrays and plain values, pickle protocol 2, as
    mmengine writes them). They are read with the same
    restricted unpickler as checkpoints: torch's weights-only unpickler
    with this module's allow-list (:func:`mmengine_safe_globals`), plus a
    stand-in for the storage loader of plainly pickled tensors that loads
    them weights-only too. Anything else (``os.system``, arbitrary classes,
    ...) is refused.

    Args:
        path (str): The ``.pkl`` file.

    Returns:
        Any: The unpickled object.

    Raises:
        pickle.UnpicklingError: The file holds objects outside the
            allow-list, or is not a readable pickle; the message names it.
    """
    try:
        from torch import _weights_only_unpickler
        safe_globals = torch.serialization.safe_globals
    except (ImportError, AttributeError) as error:  # torch < 2.5
        raise pickle.UnpicklingError(
            f'{path}: this torch has no restricted unpickler; refusing to '
            'load a pickle file') from error
    allowed = mmengine_safe_globals() + [
        (_load_storage_weights_only, 'torch.storage._load_from_bytes')
    ]
    with open(path, 'rb') as f:
        head = f.read(2)
        if len(head) == 2 and head[0] == 0x80 and head[1] > 2:
            raise pickle.UnpicklingError(
                f'{path}: pickle protocol {head[1]}; only protocol 2 (what '
                "mmengine's dump and torch.save write) is read, with the "
                'restricted unpickler of checkpoints')
        f.seek(0)
        # torch's ``safe_globals`` context removes its entries on exit,
        # including the ones patch_checkpoint_loading allow-listed for
        # every checkpoint: add only the missing ones
        before = torch.serialization.get_safe_globals()
        try:
            with safe_globals([g for g in allowed if g not in before]):
                return _weights_only_unpickler.load(f)
        except Exception as error:
            raise pickle.UnpicklingError(
                f'{path}: refused to unpickle: it is not a pickle made of '
                'tensors, numpy arrays and plain values only, or is damaged '
                f'({type(error).__name__}: {error})') from error


def _skip_cuda_set_device(init: Callable) -> Callable:

    @functools.wraps(init)
    def init_without_cuda(*args, **kwargs):
        if torch.cuda.is_available():
            return init(*args, **kwargs)
        set_device = torch.cuda.set_device
        torch.cuda.set_device = lambda device: None
        try:
            return init(*args, **kwargs)
        finally:
            torch.cuda.set_device = set_device

    return init_without_cuda


def patch_cpu_distributed() -> bool:
    """Let mmengine's pytorch / slurm launchers start without CUDA.

    Returns:
        bool: True if the launchers were wrapped, False if not needed.
    """
    from mmengine.dist import utils
    patched = False
    for name in ('_init_dist_pytorch', '_init_dist_slurm'):
        init = getattr(utils, name, None)
        if init is None or hasattr(init, '__wrapped__'):
            continue
        if 'cuda.set_device' not in _source(init):
            continue  # fixed upstream
        setattr(utils, name, _skip_cuda_set_device(init))
        patched = True
    from mmengine.model.wrappers import MMDistributedDataParallel
    init = MMDistributedDataParallel.__init__
    if not hasattr(init, '__wrapped__'):

        @functools.wraps(init)
        def init_cpu_module(self, module, *args, **kwargs):
            on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
            if on_cpu:
                # DDP takes device_ids only for single-device GPU modules
                kwargs.pop('device_ids', None)
                kwargs.pop('output_device', None)
            init(self, module, *args, **kwargs)

        MMDistributedDataParallel.__init__ = init_cpu_module
        patched = True
    return patched


def _flip_stacked_flow(flip_imgs: Callable) -> Callable:

    @functools.wraps(flip_imgs)
    def flip_imgs_stacked(self, imgs, modality):
        if modality != 'Flow' or not all(
                getattr(img, 'ndim', 0) == 3 and img.shape[-1] == 2
                for img in imgs):
            return flip_imgs(self, imgs, modality)
        import mmcv
        for img in imgs:
            mmcv.imflip_(img, self.direction)
            # a horizontal flip negates u: -u is stored as 255 - q
            img[..., 0] = 255 - img[..., 0]
        return imgs

    return flip_imgs_stacked


def _flow_flip_is_broken(flip_cls) -> bool:
    """Whether ``Flip`` mishandles two stacked flow images (x=10, y=20)."""
    import numpy as np
    imgs = [
        np.dstack(
            [np.full((1, 2), 10, np.uint8),
             np.full((1, 2), 20, np.uint8)]) for _ in range(2)
    ]
    flipped = flip_cls(flip_ratio=1.0)._flip_imgs(imgs, 'Flow')
    return any(img[0, 0, 0] != 245 or img[0, 0, 1] != 20 for img in flipped)


def patch_flow_flip() -> bool:
    """Let mmaction2's ``Flip`` flip stacked ``(H, W, 2)`` flow correctly.

    Returns:
        bool: True if ``Flip`` was patched, False if not needed.
    """
    try:
        from mmaction.datasets.transforms import Flip
    except ImportError:
        return False
    if hasattr(Flip._flip_imgs, '__wrapped__'):
        return False
    if not _flow_flip_is_broken(Flip):
        return False  # fixed upstream
    Flip._flip_imgs = _flip_stacked_flow(Flip._flip_imgs)
    return True


def _source(function: Callable) -> str:
    import inspect
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ''


def apply_all() -> Tuple[bool, bool, bool, bool, bool]:
    """Check for mmcv, apply every patch; returns which ones were needed.

    Raises:
        ImportError: No mmcv is installed (:func:`require_mmcv`).
    """
    require_mmcv()
    return (patch_importlib_metadata(), patch_missing_drn(),
            patch_checkpoint_loading(), patch_cpu_distributed(),
            patch_flow_flip())
