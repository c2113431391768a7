# Copyright (c) tsdistill authors. All rights reserved.
"""A hook the DDP tests import (``custom_imports``) in every rank.

Writes, per rank, the sample indices its sampler hands out and a hash of
the teacher's weights before and after training, to ``<work_dir>/probe``.
"""
import hashlib
import json
import os
import os.path as osp

from mmaction.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


def state_hash(module) -> str:
    digest = hashlib.sha256()
    for key, value in sorted(module.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


@HOOKS.register_module()
class DDPProbeHook(Hook):

    def _teacher(self, runner):
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        return getattr(model, 'teacher', None)

    def _dump(self, runner, name, value):
        folder = osp.join(runner.work_dir, 'probe')
        os.makedirs(folder, exist_ok=True)
        with open(osp.join(folder, f'{name}_rank{get_rank()}.json'), 'w') as f:
            json.dump(value, f)

    def before_train(self, runner):
        teacher = self._teacher(runner)
        self._dump(
            runner, 'before',
            dict(
                teacher=state_hash(teacher) if teacher else None,
                wrapped=type(runner.model).__name__,
                trainable=sum(p.numel() for p in runner.model.parameters()
                              if p.requires_grad)))

    def before_train_epoch(self, runner):
        sampler = runner.train_dataloader.sampler
        self._dump(runner, f'indices_epoch{runner.epoch}',
                   [int(i) for i in iter(sampler)])

    def after_train(self, runner):
        teacher = self._teacher(runner)
        self._dump(
            runner, 'after',
            dict(
                teacher=state_hash(teacher) if teacher else None,
                teacher_training=teacher.training if teacher else None))
