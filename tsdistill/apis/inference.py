# Copyright (c) tsdistill authors. All rights reserved.
"""Inference with the distilled student M3, in mmaction2's sense of
``apis``.

Exported (``tools/misc/export_student.py``), the student's checkpoint is a
plain mmaction2 ``Recognizer3D``'s: mmaction2's own
:func:`init_recognizer` and :func:`inference_recognizer` (re-exported
here, unchanged) run it with the plain RGB config of the same backbone and
head (e.g. ``configs/demo/...-rgb.py``), no teacher and no flow.
:func:`student_config` gives that plain config from a student's
``DistillRecognizer3D`` config, and :func:`init_student` is
:func:`init_recognizer` on it::

    from tsdistill.apis import inference_recognizer, init_student
    model = init_student('configs/demo/...-distill.py', 'student.pth')
    result = inference_recognizer(model, 'video.avi')
    result.pred_score  # one score per class
"""
import copy
import inspect
from pathlib import Path
from typing import Optional, Union

import torch
from mmaction.apis import inference_recognizer, init_recognizer
from mmaction.models.recognizers import Recognizer3D
from mmengine.config import Config, ConfigDict
from torch import nn

__all__ = [
    'inference_recognizer', 'init_recognizer', 'init_student', 'student_config'
]

#: The arguments a plain ``Recognizer3D`` takes: what a student's model
#: config keeps.
RECOGNIZER3D_ARGS = tuple(
    name for name in inspect.signature(Recognizer3D.__init__).parameters
    if name != 'self')


def student_config(config: Union[str, Path, Config]) -> Config:
    """The plain ``Recognizer3D`` config of a distilled student's config.

    The same backbone, head and data preprocessor (and the rest of the
    config: pipelines, ``default_scope``, ...), without the teacher and the
    distillation terms: the model an exported student checkpoint loads into
    with ``strict=True``. A config whose model is not a
    ``DistillRecognizer3D`` is returned as it is.

    Args:
        config (str | Path | Config): The student's config (file or
            object; an object is not changed).

    Returns:
        Config: A config whose ``model`` is a ``Recognizer3D``.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(config)
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
    else:
        raise TypeError('config must be a file name or a Config, got '
                        f'{type(config).__name__}')
    model = config.get('model')
    if not model or model.get('type') != 'DistillRecognizer3D':
        return config
    config.model = ConfigDict(
        type='Recognizer3D',
        **{
            k: v
            for k, v in model.items() if k in RECOGNIZER3D_ARGS
        })
    return config


def init_student(config: Union[str, Path, Config],
                 checkpoint: Optional[str] = None,
                 device: Union[str, torch.device] = 'cpu') -> nn.Module:
    """mmaction2's :func:`init_recognizer` on :func:`student_config`.

    Args:
        config (str | Path | Config): The student's config, or a plain
            one.
        checkpoint (str, optional): The exported student checkpoint.
            Defaults to ``None`` (no weights loaded).
        device (str | torch.device): Defaults to ``'cpu'``.

    Returns:
        nn.Module: The ``Recognizer3D`` in eval mode, with ``cfg`` set, as
        :func:`inference_recognizer` takes it.
    """
    return init_recognizer(student_config(config), checkpoint, device=device)
