# Copyright (c) tsdistill authors. All rights reserved.
"""The frozen teacher of the student M3: M1 + M2, built from a config and
its checkpoint."""
import functools
import os
import os.path as osp
from typing import Union

from mmaction.registry import MODELS
from mmaction.utils import ConfigType
from mmengine.config import Config
from torch import nn

from ...utils.memory_format import backbones_to_channels_last
from ...utils.paths import MIM_ROOT
from .checkpoint import load_checkpoint_strict
from .flow_recognizer import FlowRecognizer3D


def _always_eval(module: nn.Module, mode: bool = True) -> nn.Module:
    """Replacement ``train()`` of the teacher: it stays in eval mode."""
    return nn.Module.train(module, False)


def resolve_config_path(path: str, what: str = 'config') -> str:
    """Find a config file given as is or among the shipped configs.

    A relative path is tried as given (from the working directory), then
    under the configs shipped with the package (``tsdistill/.mim/configs``,
    :func:`~tsdistill.utils.paths.shipped_path`), with or without a leading
    ``configs/``: configs name each other as in the repository (e.g. the
    student's ``teacher_cfg='configs/demo/...-tvl1.py'``), so a run started
    from any directory, with tsdistill installed from a wheel, finds them.

    Args:
        path (str): The file as given.
        what (str): Used in the error message. Defaults to ``'config'``.

    Returns:
        str: ``path`` if it is a file, else the shipped config.

    Raises:
        FileNotFoundError: Neither exists; the message names every path
            tried.
    """
    tried = [path]
    if osp.isfile(path):
        return path
    relative = osp.normpath(path)
    if not osp.isabs(path) and not relative.startswith(os.pardir):
        first, _, rest = relative.partition(os.sep)
        if first == 'configs' and rest:
            relative = rest
        candidate = osp.join(MIM_ROOT, 'configs', relative)
        if osp.isfile(candidate):
            return candidate
        tried.append(candidate)
    raise FileNotFoundError(f'{what}: config file {path} not found (tried ' +
                            ' and '.join(tried) + ')')


def build_teacher(teacher_cfg: Union[str, ConfigType],
                  teacher_ckpt: str) -> FlowRecognizer3D:
    """Build the frozen flow teacher (M1 + M2) from a config and checkpoint.

    Args:
        teacher_cfg (str | dict): The teacher model config, or the path of
            a config file whose ``model`` is the teacher (e.g. the TV-L1
            experiment config it was trained with), as given or among the
            shipped configs (:func:`resolve_config_path`).
        teacher_ckpt (str): Its checkpoint: a file, URL or work directory
            (then its ``last_checkpoint``). Every key must match; a
            checkpoint without any ``flow.*`` key (a teacher trained on
            precomputed flow) keeps M1 as built from ``teacher_cfg``.

    Returns:
        FlowRecognizer3D: In eval mode, ``requires_grad`` off everywhere,
        whose ``train()`` keeps it in eval mode, and with M2's
        convolution weights in channels-last layout (on this repository's
        2-core CPU, M2 to stage 3 took about 17 % less CPU time).
    """
    if isinstance(teacher_cfg, str):
        teacher_cfg = Config.fromfile(
            resolve_config_path(teacher_cfg, 'teacher_cfg')).model
    teacher = MODELS.build(teacher_cfg)
    if not isinstance(teacher, FlowRecognizer3D) or not teacher.computes_flow:
        raise TypeError('the teacher must be a FlowRecognizer3D that '
                        'computes flow from RGB (flow_cfg set), got '
                        f'{type(teacher).__name__}')
    load_checkpoint_strict(
        teacher, teacher_ckpt, what='teacher', optional_prefixes=('flow.', ))
    teacher.requires_grad_(False)
    # an instance attribute (a partial, so the model still pickles)
    teacher.train = functools.partial(_always_eval, teacher)
    teacher.eval()
    # M2's convolutions in channels-last layout
    backbones_to_channels_last(teacher)
    return teacher
