# Copyright (c) tsdistill authors. All rights reserved.
"""The shipped R3D-18 model configs build and fit together (Table 1)."""
import glob
import os.path as osp

import pytest
import torch
from _helpers.recognizers import batch, build, flow_module_cfg
from _helpers.tools import REPO
from mmengine.config import Config
from mmengine.runner import save_checkpoint

MODELS_DIR = osp.join(REPO, 'configs', '_base_', 'models')
EXPERIMENTS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'recognition', 'r3d18', '*.py')))
DEMO = osp.join(REPO, 'configs', 'demo')


def model_cfg(name):
    return Config.fromfile(osp.join(MODELS_DIR, name)).model.to_dict()


def with_test_flow(cfg):
    """The config's M1 with cheap settings (CPU test time)."""
    assert cfg['flow_cfg']['type'] == 'TVL1OpticalFlow'
    cfg['flow_cfg'].update({
        k: v
        for k, v in flow_module_cfg().items() if k.startswith('num_')
    })
    return cfg


def num_params(model):
    return sum(p.numel() for p in model.parameters())


def test_r3d18_rgb_is_33_2m_params():
    model = build(model_cfg('r3d18_rgb.py'))
    assert round(num_params(model) / 1e6, 1) == 33.2
    assert model.backbone.conv1.conv.kernel_size == (3, 7, 7)
    # mmaction2's ResNet3d layout: stem max-pool, temporal pool after
    # stage 1; a 25x112x112 clip ends as 12x4x4 maps
    clip = torch.zeros(1, 3, 25, 112, 112)
    with torch.no_grad():
        assert model.backbone(clip).shape == (1, 512, 12, 4, 4)
    # full 3x3x3 convolutions in every block
    assert all(m.kernel_size == (3, 3, 3)
               for name, m in model.backbone.named_modules()
               if isinstance(m, torch.nn.Conv3d) and 'layer' in name
               and 'downsample' not in name)


def test_distill_and_two_stream_configs(tmp_path):
    teacher_cfg = with_test_flow(model_cfg('r3d18_tvl1_flow.py'))
    teacher = build(teacher_cfg, seed=1)
    assert teacher.backbone.conv1.conv.in_channels == 2
    assert num_params(teacher) - num_params(teacher.flow) < num_params(
        build(model_cfg('r3d18_rgb.py')))
    teacher_ckpt = str(tmp_path / 'teacher.pth')
    save_checkpoint(dict(state_dict=teacher.state_dict()), teacher_ckpt)

    cfg = model_cfg('r3d18_distill.py')
    assert cfg['loss_distill'] == dict(
        type='FitNetsLoss',
        loss_weight=10.0,
        pairs=[('layer1', 'layer1'), ('layer2', 'layer2'),
               ('layer3', 'layer3')],
        hint_fraction=0.5)
    cfg.update(teacher_cfg=teacher_cfg, teacher_ckpt=teacher_ckpt)
    student = build(cfg)
    # the FitNets connectors: 1x1x1, from half of each stage's channels to
    # all of the teacher's
    connector = [
        m for m in student.connectors.modules()
        if isinstance(m, torch.nn.Conv3d)
    ]
    assert [tuple(m.weight.shape) for m in connector] == [(64, 32, 1, 1, 1),
                                                          (128, 64, 1, 1, 1),
                                                          (256, 128, 1, 1, 1)]
    # 16 RGB frames / 15 flow frames: after the temporal pool, layer3 maps
    # of 8 and 7 positions, which temporal_align reconciles
    data = student.data_preprocessor(
        batch(num=1, clip_len=16, size=48), training=True)
    clips = data['inputs'].flatten(0, 1)
    from tsdistill.models.recognizers import resnet3d_stage_outputs
    s_feats = resnet3d_stage_outputs(student.backbone, clips)
    t_feats = student.teacher_features(clips)
    assert s_feats[2].shape[1:] == (256, 8, 3, 3)
    assert t_feats['layer3'].shape[1:] == (256, 7, 3, 3)
    losses = student(**data, mode='loss')
    assert losses['loss_distill'] > 0
    # the student's weights, without the connector, are a plain RGB
    # R3D-18's
    plain = build(model_cfg('r3d18_rgb.py'))
    plain.load_state_dict(
        {
            k: v
            for k, v in student.state_dict().items()
            if not k.startswith('connectors.')
        },
        strict=True)

    two = model_cfg('r3d18_two_stream.py')
    # the streams are the models of the RGB and flow configs
    assert two['rgb_stream'] == model_cfg('r3d18_rgb.py')
    assert two['flow_stream'] == model_cfg('r3d18_tvl1_flow.py')
    assert two['data_preprocessor'] == two['rgb_stream']['data_preprocessor']
    with_test_flow(two['flow_stream'])
    fused = build(two)
    assert num_params(fused.rgb_stream) == num_params(plain)


@pytest.mark.parametrize(
    'path', EXPERIMENTS, ids=[osp.basename(p) for p in EXPERIMENTS])
def test_experiment_configs_parse(path):
    if not osp.exists(
            osp.join(REPO, 'configs', '_base_', 'datasets',
                     'hmdb51_video.py')):
        pytest.skip('configs/_base_/datasets/hmdb51_video.py not there yet')
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == dict(
        imports=['tsdistill'], allow_failed_imports=False)
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.model.type in ('Recognizer3D', 'FlowRecognizer3D',
                              'TwoStreamRecognizer3D', 'DistillRecognizer3D')
    if cfg.model.type == 'DistillRecognizer3D':
        assert cfg.model.teacher_ckpt.endswith('-tvl1')
        assert osp.exists(osp.join(REPO, cfg.model.teacher_cfg))


def demo_model(kind):
    name = f'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-{kind}.py'
    return Config.fromfile(osp.join(DEMO, name)).model.to_dict()


def test_demo_configs_share_the_slim_r3d18():
    slim = Config.fromfile(osp.join(DEMO, '_base_',
                                    'r3d18slim.py')).model.to_dict()
    bases = dict(
        rgb='r3d18_rgb.py',
        tvl1='r3d18_tvl1_flow.py',
        distill='r3d18_distill.py')
    for kind, base in bases.items():
        model, expected = demo_model(kind), model_cfg(base)
        for part in ('backbone', 'cls_head'):
            expected[part].update(slim[part])
            assert model[part] == expected[part], (kind, part)
        assert model['type'] == expected['type']
    # the two-stream demo fuses the -rgb and -tvl1 runs: their models
    two = demo_model('two-stream')
    assert two['rgb_stream'] == demo_model('rgb')
    assert two['flow_stream'] == demo_model('tvl1')


def test_main_job_student_is_the_1xb16_student_with_lambda3_on_batches_of_8():
    """The Table 1 job's demo student differs from the -1xb16 student (the
    base of the lambda-10 ablations) in lambda and batch size only."""
    from tsdistill.jobs.table1 import TABLE1_ROWS, row_config
    row = next(r for r in TABLE1_ROWS if r.key == 'distill')
    main = Config.fromfile(row_config(row, 'demo'))
    base = Config.fromfile(
        osp.join(DEMO,
                 'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill.py'))
    assert osp.basename(main.filename).startswith('r3d18slim_1xb8-')
    assert main.train_dataloader.batch_size == 8
    assert base.train_dataloader.batch_size == 16
    assert main.model.loss_distill.loss_weight == 3.0
    assert base.model.loss_distill.loss_weight == 10.0
    main.train_dataloader.batch_size = 16
    main.model.loss_distill.loss_weight = 10.0
    assert main.to_dict() == base.to_dict()
