# Copyright (c) tsdistill authors. All rights reserved.
"""EarlyFusionRecognizer3D: one R3D-18 on cat(RGB, M1's flow)."""
import os.path as osp

import pytest
import torch
from _helpers.recognizers import batch, build, flow_module_cfg
from _helpers.tools import REPO
from mmengine.config import Config

CONFIG = osp.join(
    REPO, 'configs', 'demo',
    'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-early-fusion.py')
TVL1_CONFIG = CONFIG.replace('-early-fusion.py', '-tvl1.py')


def demo_model_cfg(path=CONFIG):
    """The config's model with M1 made cheap (CPU test time)."""
    model = Config.fromfile(path).model.to_dict()
    model['flow_cfg'].update({
        k: v
        for k, v in flow_module_cfg().items() if k.startswith('num_')
    })
    return model


def test_config_is_the_tvl1_row_with_five_input_channels():
    fusion, flow = demo_model_cfg(), demo_model_cfg(TVL1_CONFIG)
    assert fusion.pop('type') == 'EarlyFusionRecognizer3D'
    assert flow.pop('type') == 'FlowRecognizer3D'
    assert fusion['backbone'].pop('in_channels') == 5
    assert flow['backbone'].pop('in_channels') == 2
    assert fusion == flow
    # the rest of the config (data, schedule) is the -tvl1 row's
    fusion_cfg, flow_cfg = Config.fromfile(CONFIG), Config.fromfile(
        TVL1_CONFIG)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'train_cfg', 'optim_wrapper', 'param_scheduler'):
        assert fusion_cfg[key] == flow_cfg[key], key


def test_input_is_rgb_frames_and_their_flow():
    model = build(demo_model_cfg())
    data = model.data_preprocessor(batch(clip_len=8), training=True)
    clips = data['inputs'].flatten(0, 1)  # (2, 3, 8, 32, 32), normalised
    fused = model.backbone_inputs(clips)
    assert fused.shape == (2, 5, 7, 32, 32)
    # RGB frame t next to flow t (frame t to t + 1): the last frame goes
    assert torch.equal(fused[:, :3], clips[:, :, :7])
    assert torch.equal(fused[:, 3:], model.flow_inputs(clips))
    feats, _ = model.extract_feat(data['inputs'], stage='backbone')
    torch.testing.assert_close(feats, model.backbone(fused))


def test_builds_from_its_config_and_trains_one_step():
    model = build(demo_model_cfg())
    assert model.backbone.conv1.conv.in_channels == 5
    model.train()
    data = model.data_preprocessor(batch(clip_len=8), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    loss = losses['loss_cls']
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    grad = model.backbone.conv1.conv.weight.grad
    assert grad is not None and torch.isfinite(grad).all()
    # both the RGB and the flow channels of the first layer learn
    assert grad[:, :3].abs().sum() > 0 and grad[:, 3:].abs().sum() > 0
    model.eval()
    with torch.no_grad():
        preds = model.test_step(batch(num=3, clip_len=8))
    assert len(preds) == 3
    assert preds[0].pred_score.shape == (8, )  # the demo's 8 classes
    torch.testing.assert_close(preds[0].pred_score.sum(), torch.tensor(1.))


def test_precomputed_flow_is_refused():
    cfg = demo_model_cfg()
    cfg['flow_cfg'] = None
    with pytest.raises(ValueError, match='flow_cfg must be set'):
        build(cfg)
