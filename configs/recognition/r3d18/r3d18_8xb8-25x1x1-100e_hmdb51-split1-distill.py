# Table 1, row 4: the student M3 (R3D-18 on RGB) distilled from the frozen
# TV-L1 teacher of row 2 (train that first), stage-3 feature maps,
# lambda 10. Test time: the student alone; its checkpoint loads into the
# row-1 config (a plain mmaction2 Recognizer3D).
_base_ = [
    '../../_base_/models/r3d18_distill.py',
    '../../_base_/datasets/hmdb51_video.py',
    '../../_base_/schedules/sgd_100e.py', '../../_base_/default_runtime.py'
]

custom_imports = dict(imports=['tsdistill'], allow_failed_imports=False)

model = dict(
    teacher_cfg='configs/_base_/models/r3d18_tvl1_flow.py',
    # the work dir of the row-2 run (its `last_checkpoint`), or a .pth file;
    # it follows HMDB51_SPLIT (the dataset base's split variable): train
    # split k's teacher with --work-dir work_dirs/<that name with splitk>,
    # or give the file with --cfg-options model.teacher_ckpt=...
    teacher_ckpt='work_dirs/r3d18_8xb8-25x1x1-100e_hmdb51-'
    'split{{$HMDB51_SPLIT:1}}-tvl1')
