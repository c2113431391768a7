# HMDB51 videos, paper-sized clips: 25 consecutive frames (flow needs
# adjacent frames), short side 128, 112x112 crops.
#
# Split: one variable, the environment variable HMDB51_SPLIT (1, 2 or 3;
# default 1), e.g. `HMDB51_SPLIT=2 python tools/train.py CONFIG --work-dir
# work_dirs/split2`. Annotation lists come from
# tools/data/hmdb51/prepare_annotations.py (labels: sorted class names).
#
# Test protocol: the centre 25-frame clip and the centre 112 crop, one view
# per video: accuracies are VIDEO-level. For a multi-clip test, use
# `test_pipeline_multiclip` below (5 clips averaged per video by the head's
# average_clips='prob'), e.g. --cfg-options
# test_dataloader.dataset.pipeline=... or a config that sets
# test_dataloader = dict(dataset=dict(pipeline=test_pipeline_multiclip)).
# A video that cannot be decoded stops the run with its file name; set
# skip_broken=True on the training dataset to skip and count such videos
# (reported at the end of every epoch by BrokenVideoReportHook).
split = '{{$HMDB51_SPLIT:1}}'
dataset_type = 'CheckedVideoDataset'
data_root = 'data/hmdb51/videos'
ann_root = 'data/hmdb51/annotations'
ann_file_train = f'{ann_root}/hmdb51_train_split_{split}_videos.txt'
ann_file_val = f'{ann_root}/hmdb51_val_split_{split}_videos.txt'
ann_file_test = ann_file_val
clip_len = 25

train_pipeline = [
    dict(type='DecordInit'),
    dict(
        type='SampleFrames', clip_len=clip_len, frame_interval=1,
        num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 128)),
    dict(type='RandomCrop', size=112),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit'),
    dict(
        type='SampleFrames',
        clip_len=clip_len,
        frame_interval=1,
        num_clips=1,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 128)),
    dict(type='CenterCrop', crop_size=112),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = val_pipeline
test_pipeline_multiclip = [
    dict(type='DecordInit'),
    dict(
        type='SampleFrames',
        clip_len=clip_len,
        frame_interval=1,
        num_clips=5,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 128)),
    dict(type='CenterCrop', crop_size=112),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline,
        skip_broken=False))
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        data_prefix=dict(video=data_root),
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_test,
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
custom_hooks = [dict(type='BrokenVideoReportHook')]
