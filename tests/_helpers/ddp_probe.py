# Copyright (c) tsdistill authors. All rights reserved.
"""A hook the DDP / resume tests load in every rank (``custom_imports``).

Writes JSON files to ``<work_dir>/probe``, one per rank:

* ``before_rank<r>.json`` / ``after_rank<r>.json``: what wraps the model,
  whether ``find_unused_parameters`` is on, the backend, hashes of the
  teacher's state and of the student's parameters and buffers, whether
  any teacher tensor is a parameter of the wrapped module or holds a
  gradient.
* ``seen_epoch<e>_rank<r>.json``: the files of the samples the rank trained
  on (needs ``PackActionInputs(meta_keys=(..., 'filename'))``).
"""
import hashlib
import json
import os
import os.path as osp

import torch.distributed as dist
from mmaction.registry import HOOKS
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


def tensors_hash(named_tensors) -> str:
    """SHA-256 over ``(name, tensor)`` pairs (names, dtypes and values)."""
    digest = hashlib.sha256()
    for key, value in sorted(named_tensors, key=lambda item: item[0]):
        digest.update(f'{key}:{value.dtype}'.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def state_hash(module) -> str:
    """SHA-256 over a module's state dict."""
    return tensors_hash(module.state_dict().items())


@HOOKS.register_module()
class DDPProbeHook(Hook):
    """Records, per rank, what the DDP and resume tests assert on."""

    def __init__(self) -> None:
        self._seen = {}

    @staticmethod
    def _student(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _teacher(self, runner):
        return getattr(self._student(runner), 'teacher', None)

    def _dump(self, runner, name, value) -> None:
        folder = osp.join(runner.work_dir, 'probe')
        os.makedirs(folder, exist_ok=True)
        path = osp.join(folder, f'{name}_rank{get_rank()}.json')
        with open(path, 'w') as f:
            json.dump(value, f, indent=1)

    def _state(self, runner) -> dict:
        student, teacher = self._student(runner), self._teacher(runner)
        wrapped = {id(p) for p in runner.model.parameters()}
        state = dict(
            rank=get_rank(),
            world_size=get_world_size(),
            backend=dist.get_backend() if dist.is_initialized() else None,
            wrapper=type(runner.model).__name__,
            find_unused_parameters=getattr(runner.model,
                                           'find_unused_parameters', None),
            wrapped_params=sum(p.numel() for p in runner.model.parameters()),
            student_params=tensors_hash(student.named_parameters()),
            student_buffers=tensors_hash(student.named_buffers()))
        if teacher is not None:
            params = list(teacher.parameters())
            state.update(
                teacher=state_hash(teacher),
                teacher_training=teacher.training,
                teacher_params=sum(p.numel() for p in params),
                teacher_params_in_wrapper=sum(
                    id(p) in wrapped for p in params),
                teacher_requires_grad=any(p.requires_grad for p in params),
                teacher_grads=sum(p.grad is not None for p in params))
        return state

    def before_train(self, runner) -> None:
        self._dump(runner, 'before', self._state(runner))

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        files = [
            osp.basename(sample.metainfo['filename'])
            for sample in data_batch['data_samples']
        ]
        self._seen.setdefault(runner.epoch, []).extend(files)

    def after_train_epoch(self, runner) -> None:
        self._dump(runner, f'seen_epoch{runner.epoch}',
                   self._seen.pop(runner.epoch, []))

    def after_train(self, runner) -> None:
        self._dump(runner, 'after', self._state(runner))
