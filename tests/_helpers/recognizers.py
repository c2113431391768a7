# Copyright (c) tsdistill authors. All rights reserved.
"""Tiny configs and batches shared by the recognizer tests."""
import contextlib
import copy

import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
NUM_CLASSES = 4
#: the training position a Runner's RuntimeInfoHook puts in the MessageHub
HUB_KEYS = ('iter', 'epoch', 'max_iters', 'max_epochs')


@contextlib.contextmanager
def hub_without_position():
    """The current MessageHub without a training position, restored after.
    """
    hub = MessageHub.get_current_instance()
    saved = {k: hub.runtime_info.get(k) for k in HUB_KEYS}
    for key in HUB_KEYS:
        hub.runtime_info.pop(key, None)
    try:
        yield hub
    finally:
        for key, value in saved.items():
            hub.runtime_info.pop(key, None)
            if value is not None:
                hub.update_info(key, value)


def flow_module_cfg():
    """M1 (the real TVL1OpticalFlow), made cheap: one scale, warp, 2 iters."""
    return dict(type='TVL1OpticalFlow', num_scales=1, num_warps=1, num_iters=2)


def tiny_backbone(in_channels=3, base_channels=8, num_stages=3):
    """A 3-stage R3D-18 with 8 base channels, no temporal pool2."""
    return dict(
        type='ResNet3d',
        depth=18,
        pretrained=None,
        in_channels=in_channels,
        base_channels=base_channels,
        num_stages=num_stages,
        out_indices=(num_stages - 1, ),
        spatial_strides=(1, 2, 2)[:num_stages],
        temporal_strides=(1, 2, 2)[:num_stages],
        dilations=(1, ) * num_stages,
        conv1_kernel=(3, 7, 7),
        inflate=(1, ) * num_stages,
        with_pool2=False,
        norm_eval=False)


def tiny_head(in_channels):
    return dict(
        type='I3DHead',
        num_classes=NUM_CLASSES,
        in_channels=in_channels,
        dropout_ratio=0.0,
        average_clips='prob')


def rgb_preprocessor():
    return dict(
        type='ActionDataPreprocessor',
        mean=MEAN,
        std=STD,
        format_shape='NCTHW')


def rgb_cfg(base_channels=8):
    """A plain mmaction2 Recognizer3D (mmaction2-only types)."""
    return dict(
        type='Recognizer3D',
        backbone=tiny_backbone(3, base_channels),
        cls_head=tiny_head(base_channels * 4),
        data_preprocessor=rgb_preprocessor())


def teacher_cfg(base_channels=8, with_flow=True):
    return dict(
        type='FlowRecognizer3D',
        flow_cfg=flow_module_cfg() if with_flow else None,
        flow_bound=20.0,
        backbone=tiny_backbone(2, base_channels),
        cls_head=tiny_head(base_channels * 4),
        data_preprocessor=rgb_preprocessor() if with_flow else dict(
            type='ActionDataPreprocessor',
            mean=[128.0, 128.0],
            std=[128.0, 128.0],
            format_shape='NCTHW'))


def student_cfg(teacher_ckpt, teacher=None, **kwargs):
    cfg = rgb_cfg()
    cfg.update(
        type='DistillRecognizer3D',
        teacher_cfg=teacher or teacher_cfg(),
        teacher_ckpt=teacher_ckpt)
    cfg.update(kwargs)
    return cfg


def build(cfg, seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(cfg))
    model.init_weights()
    return model


def batch(num=2, channels=3, clip_len=8, size=32, seed=0):
    """``train_step`` / ``test_step`` input: uint8 clips and labels."""
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(num):
        inputs.append(
            torch.randint(
                0,
                256, (1, channels, clip_len, size, size),
                generator=gen,
                dtype=torch.uint8))
        samples.append(ActionDataSample().set_gt_label(i % NUM_CLASSES))
    return dict(inputs=inputs, data_samples=samples)


def sgd(model, lr=0.1, weight_decay=0.0):
    return build_optim_wrapper(
        model,
        dict(
            optimizer=dict(
                type='SGD', lr=lr, momentum=0.9, weight_decay=weight_decay)))


def params_copy(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
