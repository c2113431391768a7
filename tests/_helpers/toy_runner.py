# Copyright (c) tsdistill authors. All rights reserved.
"""A real mmengine Runner on a toy model: seconds, not minutes.

The model logs what the distilled student logs (``loss_cls``,
``loss_distill``, ``top1_acc``) and the metric is ``acc/top1``, so its
``scalars.json`` has the keys of a Table 1 run.
"""
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn


class ToyRecognizer(BaseModel):
    """A linear classifier of 2-d points with a student's loss keys."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, inputs, labels, mode='tensor'):
        logits = self.fc(torch.stack(inputs))
        labels = torch.stack(labels)
        if mode == 'loss':
            acc = (logits.argmax(1) == labels).float().mean()
            return dict(
                loss_cls=F.cross_entropy(logits, labels),
                loss_distill=0.1 * logits.pow(2).mean(),
                top1_acc=acc)
        return list(zip(logits.argmax(1), labels))


class ToyAccuracy(BaseMetric):
    """``acc/top1`` as mmaction2's ``AccMetric`` names it."""
    default_prefix = 'acc'

    def process(self, data_batch, data_samples):
        self.results += [int(p == t) for p, t in data_samples]

    def compute_metrics(self, results):
        return dict(top1=sum(results) / len(results))


def toy_data(n=8):
    gen = torch.Generator().manual_seed(0)
    return [
        dict(inputs=torch.randn(2, generator=gen), labels=torch.tensor(i % 2))
        for i in range(n)
    ]


def _loader(shuffle):
    return dict(
        dataset=toy_data(),
        sampler=dict(type='DefaultSampler', shuffle=shuffle),
        batch_size=2,
        num_workers=0,
        collate_fn=dict(type='pseudo_collate'))


def build_toy_runner(work_dir,
                     experiment_name,
                     max_epochs=3,
                     visualizer=None,
                     cfg=None):
    """Runner: ``max_epochs`` epochs of 4 iterations, validation each epoch,
    every iteration logged.

    ``experiment_name`` must be unique in the process: mmengine keeps one
    visualizer per name. ``cfg`` (a ``Config``) is handed to the visualizer
    at construction, as ``Runner.from_cfg`` does.
    """
    return Runner(
        model=ToyRecognizer(),
        work_dir=str(work_dir),
        experiment_name=experiment_name,
        train_dataloader=_loader(True),
        val_dataloader=_loader(False),
        val_evaluator=[ToyAccuracy()],
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=1),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(type='CheckpointHook', interval=100)),
        visualizer=visualizer,
        cfg=cfg,
        # the scope the test session runs in (conftest): a Runner makes
        # its default scope the current one for the rest of the process
        default_scope='mmaction',
        randomness=dict(seed=0))
