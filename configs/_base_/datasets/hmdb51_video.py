# HMDB51 videos, paper-sized clips: 25 consecutive frames (flow needs
# adjacent frames), short side 128, 112x112 crops; decord decoding.
#
# Data: `data_root` holds `videos/<class>/<video>.avi` and
# `annotations/hmdb51_{train,val}_split_{1,2,3}_videos.txt`, written by
#   python tools/data/hmdb51/prepare_annotations.py \
#       --videos-root data/hmdb51/videos \
#       --splits-root data/hmdb51/testTrainMulti_7030_splits \
#       --out-dir data/hmdb51/annotations
# (labels 0..50: the class folder names in sorted order, listed in
# annotations/classes.txt; see tools/data/hmdb51/README.md).
#
# Split: ONE variable, the environment variable HMDB51_SPLIT (1, 2 or 3;
# default 1; anything else is an error when the config is loaded), read
# when the config is loaded and recorded in the dumped config; HMDB51_ROOT
# moves the data (default data/hmdb51):
#   HMDB51_SPLIT=2 python tools/train.py CONFIG --work-dir work_dirs/split2
# (A child config cannot change `split` or `data_root` by redefining them:
# mmengine evaluates this file's f-strings first. Use the environment
# variables, or --cfg-options on train/val/test_dataloader.dataset.ann_file
# and .data_prefix.video.)
#
# Training: one 25-frame clip per video at a random temporal offset, short
# side 128, random 112x112 crop, horizontal flip (HMDB51's actions do not
# depend on left/right).
#
# Test protocol (val and test): ONE view per video, the centre 25-frame clip
# and the centre 112x112 crop, so every reported accuracy (AccMetric:
# top-1, top-5, mean class accuracy) is VIDEO-level, one prediction per
# test video of the split (1,530 per split).
# Multi-clip test (optional): 5 clips evenly spaced over the video, centre
# crops, class probabilities averaged per video (the models' heads use
# average_clips='prob'); still one prediction per video:
#   python tools/test.py CONFIG CKPT \
#       --cfg-options test_dataloader.dataset.pipeline.1.num_clips=5
# or, in a child config,
#   test_dataloader = dict(
#       dataset=dict(pipeline={{_base_.test_pipeline_multiclip}}))
#
# Broken videos: find them before training with prepare_annotations (it
# decodes every video, crash-isolated; or tools/data/check_videos.py). A
# video that cannot be opened or decoded stops the run with its file name
# (CheckedVideoDataset reads every DecordInit video by path and names a
# truncated AVI instead of letting decord segfault). `skip_broken=True` on
# the training dataset skips such videos instead (each replaced by another
# sample); BrokenVideoReportHook reports the count and the files at the end
# of every epoch. Validation and test never skip. A missing or empty list
# (e.g. a split prepare_annotations did not write) is an error naming it.
#
# What is not here is synthetic_motion_video.py's, the CPU-sized dataset of
# the same layout: the dataset type, the loaders' settings (samplers,
# persistent workers, skip_broken=False, test_mode), the metrics and the
# hooks. This file states what differs: the data, the clip size, the flip,
# batch sizes and workers, the multi-clip test. mmengine fills a base's
# paths and sizes in when it reads the base, so the paths are stated again
# and the pipelines are the base's with this file's sizes put in.
_base_ = ['./synthetic_motion_video.py']
split = '{{$HMDB51_SPLIT:1}}'
if split not in ('1', '2', '3'):
    raise ValueError('HMDB51_SPLIT must be 1, 2 or 3 (the official splits '
                     f'of HMDB51), got {split!r}')
data_root = '{{$HMDB51_ROOT:data/hmdb51}}'
video_root = f'{data_root}/videos'
ann_root = f'{data_root}/annotations'
ann_file_train = f'{ann_root}/hmdb51_train_split_{split}_videos.txt'
ann_file_val = f'{ann_root}/hmdb51_val_split_{split}_videos.txt'
ann_file_test = ann_file_val
clip_len = 25
short_side = 128
crop_size = 112
num_multiclip = 5

# synthetic_motion_video.py's pipelines at HMDB51's clip and crop sizes
# (mmengine fills a base's sizes in when it reads the base, so each step's
# size arguments are put in again), a flip before formatting, and each
# training clip decoded from its file: HMDB51's decoded videos do not fit
# in memory (DecordInit instead of the base's CachedDecordInit)
resized = dict(
    CachedDecordInit=dict(type='DecordInit'),
    SampleFrames=dict(clip_len=clip_len),
    Resize=dict(scale=(-1, short_side)),
    RandomCrop=dict(size=crop_size),
    CenterCrop=dict(crop_size=crop_size))
train_pipeline = [
    dict(step, **resized.get(step['type'], {}))
    for step in _base_.train_pipeline
]
train_pipeline.insert(-2, dict(type='Flip', flip_ratio=0.5))
val_pipeline = [
    dict(step, **resized.get(step['type'], {})) for step in _base_.val_pipeline
]
del resized
test_pipeline = val_pipeline
# the test pipeline with num_multiclip clips per video
test_pipeline_multiclip = [
    dict(step, num_clips=num_multiclip)
    if step['type'] == 'SampleFrames' else step for step in test_pipeline
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    dataset=dict(
        ann_file=ann_file_train,
        data_prefix=dict(video=video_root),
        pipeline=train_pipeline))
# val: the train loader's settings with the val list and pipeline
val_dataloader = dict(
    train_dataloader,
    dataset=dict(
        train_dataloader['dataset'],
        ann_file=ann_file_val,
        pipeline=val_pipeline))
# test: the val loader (ann_file_test and test_pipeline are val's), one
# video per batch
test_dataloader = dict(val_dataloader, batch_size=1)
