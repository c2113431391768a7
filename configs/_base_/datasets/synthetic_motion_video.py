# The embedded motion-only dataset (tools/data/synthetic), CPU-sized: the
# same layout, tools and split lists as HMDB51, smaller clips.
#
# Data: generate and prepare it with the HMDB51 tool, as for real data:
#   python tools/data/synthetic/generate_motion_dataset.py \
#       data/synthetic_motion
#   python tools/data/hmdb51/prepare_annotations.py \
#       --videos-root data/synthetic_motion/videos \
#       --splits-root data/synthetic_motion/testTrainMulti_7030_splits \
#       --out-dir data/synthetic_motion/annotations
# The generator's defaults: 8 classes x 40 videos of 24 frames at 40x40.
#
# Split: the same ONE variable as HMDB51, HMDB51_SPLIT (default 1);
# SYNTHETIC_MOTION_ROOT moves the data (default data/synthetic_motion).
#
# Clips: 16 consecutive frames, short side 36, 32x32 crops (a few ms per
# clip for a slim R3D-18 on 2 CPU cores). Training: random temporal offset
# and random crop, NO flip: the classes differ by motion direction, a flip
# would turn "move_left" into "move_right".
#
# Test protocol (val and test): one view per video, the centre 16-frame clip
# and the centre crop, so accuracy (AccMetric: top-1, top-5, mean class
# accuracy) is VIDEO-level. Broken videos: as in hmdb51_video.py.
split = '{{$HMDB51_SPLIT:1}}'
data_root = '{{$SYNTHETIC_MOTION_ROOT:data/synthetic_motion}}'
dataset_type = 'CheckedVideoDataset'
video_root = f'{data_root}/videos'
ann_root = f'{data_root}/annotations'
ann_file_train = f'{ann_root}/hmdb51_train_split_{split}_videos.txt'
ann_file_val = f'{ann_root}/hmdb51_val_split_{split}_videos.txt'
ann_file_test = ann_file_val
clip_len = 16
short_side = 36
crop_size = 32

# Training decodes each video once per DataLoader worker and keeps its
# frames in memory (CachedDecordInit; the embedded data's 216 videos are
# 25 MB decoded): the same clips as DecordInit, and on a 2-core CPU the
# RGB network's iteration took 91 ms instead of 145, the main job 12.7-14.8
# min a seed (docs/benchmarks.md, "Where the main job's training
# iterations go").
train_pipeline = [
    dict(type='CachedDecordInit'),
    dict(
        type='SampleFrames', clip_len=clip_len, frame_interval=1, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, short_side)),
    dict(type='RandomCrop', size=crop_size),
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
    dict(type='Resize', scale=(-1, short_side)),
    dict(type='CenterCrop', crop_size=crop_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = val_pipeline

train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        data_prefix=dict(video=video_root),
        pipeline=train_pipeline))
# validation: the training loader's settings, in order, on the val list and
# pipeline in test mode
val_dataloader = dict(
    train_dataloader,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        train_dataloader['dataset'],
        ann_file=ann_file_val,
        pipeline=val_pipeline,
        test_mode=True))
# a broken training video stops the run (hmdb51_video.py, "Broken videos")
train_dataloader['dataset']['skip_broken'] = False
test_dataloader = val_dataloader

val_evaluator = dict(
    type='AccMetric',
    metric_list=('top_k_accuracy', 'mean_class_accuracy'),
    metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
test_evaluator = val_evaluator
# BrokenVideoReportHook: skipped videos per epoch (skip_broken=True);
# RandomStateHook: every rank's torch / numpy / random state in each
# checkpoint, so --resume continues with the same dropout masks and
# main-process augmentation as an uninterrupted run
custom_hooks = [
    dict(type='BrokenVideoReportHook'),
    dict(type='RandomStateHook')
]
