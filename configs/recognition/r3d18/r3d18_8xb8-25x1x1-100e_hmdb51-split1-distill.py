# Table 1, row 4: the student M3 (R3D-18 on RGB) distilled from the frozen
# TV-L1 teacher of row 2 (train that first). The distillation term is the
# base's default: FitNets hints on the maps of stages 1-3, each connector
# reading half of the student's channels, lambda 10, after a 10-epoch
# first stage without CE. It is the best variant of the ablation on the
# mixed-cue embedded data (3 seeds), where the paper's plain MSE and a
# stage-3 hint found the motion late or never on some seeds, and hints on
# all channels lost the appearance. HMDB51, where RGB alone gets 34.5 %,
# needs both cues, like that data. The paper's term: the -distill-warmup /
# -distill-mars variants, or loss_distill=dict(_delete_=True,
# type='FeatureMSELoss', loss_weight=10.0). Test time: the student alone;
# the checkpoint exported by tools/misc/export_student.py loads into the
# row-1 config (a plain mmaction2 Recognizer3D).
_base_ = [
    '../../_base_/models/r3d18_distill.py',
    '../../_base_/datasets/hmdb51_video.py',
    '../../_base_/schedules/sgd_100e.py', '../../_base_/default_runtime.py'
]

model = dict(
    teacher_cfg='configs/_base_/models/r3d18_tvl1_flow.py',
    # the work dir of the row-2 run (its `last_checkpoint`), or a .pth file;
    # it follows HMDB51_SPLIT (the dataset base's split variable): train
    # split k's teacher with --work-dir work_dirs/<that name with splitk>,
    # or give the file with --cfg-options model.teacher_ckpt=...
    teacher_ckpt='work_dirs/r3d18_8xb8-25x1x1-100e_hmdb51-'
    'split{{$HMDB51_SPLIT:1}}-tvl1')
