# HMDB51 as precomputed TV-L1 flow rawframes (mmaction2's RawframeDataset,
# modality='Flow'): 24 consecutive flow frames per clip (the flow of the
# 25-frame RGB clips of hmdb51_video.py), short side 128, 112x112 crops.
#
# Data: `data_root` holds
#   flow_tvl1/<class>/<video>/{x,y}_%05d.jpg   (the names mmaction2's flow
#       configs read and its test data holds; 1-based, pair i is the flow
#       from frame i-1 to frame i; greyscale, flow clipped to +-20 px and
#       quantised to 0..255)
#   annotations/hmdb51_{train,val}_split_{k}_rawframes.txt
#       ("<class>/<video> <number of flow frames> <label>")
# written by (the flow at the resolution the RGB teacher computes it at:
# flow is in pixels, so extract at the short side the pipeline uses)
#   python tools/extract_flow.py \
#       data/hmdb51/annotations/hmdb51_train_split_1_videos.txt \
#       --data-root data/hmdb51/videos --out-root data/hmdb51/flow_tvl1 \
#       --short-side 128     # and the same for hmdb51_val_split_1_videos.txt
#   python tools/data/hmdb51/prepare_annotations.py \
#       --videos-root data/hmdb51/videos \
#       --splits-root data/hmdb51/testTrainMulti_7030_splits \
#       --out-dir data/hmdb51/annotations \
#       --rawframes-root data/hmdb51/flow_tvl1
# (prepare_annotations lists only the folders extract_flow finished.)
#
# Split and root: HMDB51_SPLIT (1, 2 or 3) and HMDB51_ROOT, as in
# hmdb51_video.py.
#
# Flip: a horizontal flip negates the x flow; mmaction2 1.2.0's Flip got
# this wrong for stacked (H, W, 2) flow, `import tsdistill` fixes it
# (tsdistill/compat.py, patch 5).
#
# Test protocol (val and test): one view per video, the centre 24 flow
# frames and the centre 112x112 crop, so accuracies are video-level;
# test_pipeline_multiclip for 5 clips, as in hmdb51_video.py.
#
# What is not here is hmdb51_video.py's: the split check, the sizes, the
# flip, the loaders' settings and the metrics. This file states what
# differs: the dataset (rawframes for videos, 24 flow frames per clip) and
# the hooks (no broken-video report: RawframeDataset reads JPEGs).
_base_ = ['./hmdb51_video.py']
split = '{{$HMDB51_SPLIT:1}}'
data_root = '{{$HMDB51_ROOT:data/hmdb51}}'
dataset_type = 'RawframeDataset'
flow_root = f'{data_root}/flow_tvl1'
ann_root = f'{data_root}/annotations'
ann_file_train = f'{ann_root}/hmdb51_train_split_{split}_rawframes.txt'
ann_file_val = f'{ann_root}/hmdb51_val_split_{split}_rawframes.txt'
ann_file_test = ann_file_val
# RawFrameDecode reads filename_tmpl.format('x', i) and .format('y', i):
# x_%05d.jpg / y_%05d.jpg, mmaction2's names and tools/extract_flow.py's
filename_tmpl = '{}_{:05d}.jpg'
clip_len = 24

# hmdb51_video.py's pipelines reading rawframes: no DecordInit,
# RawFrameDecode for DecordDecode, 24 flow frames per clip
rawframes = dict(
    DecordDecode=dict(type='RawFrameDecode'),
    SampleFrames=dict(clip_len=clip_len))
train_pipeline, val_pipeline, test_pipeline_multiclip = ([
    dict(step, **rawframes.get(step['type'], {})) for step in pipeline
    if step['type'] != 'DecordInit'
] for pipeline in (_base_.train_pipeline, _base_.val_pipeline,
                   _base_.test_pipeline_multiclip))
test_pipeline = val_pipeline
del rawframes

# the flow rawframes instead of the videos (the base's video dataset
# settings, data_prefix=dict(video=...) and skip_broken, do not apply)
flow_dataset = dict(
    _delete_=True,
    type=dataset_type,
    data_prefix=dict(img=flow_root),
    filename_tmpl=filename_tmpl,
    modality='Flow',
    start_index=1)
train_dataloader = dict(
    dataset=dict(
        flow_dataset, ann_file=ann_file_train, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        flow_dataset,
        ann_file=ann_file_val,
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
del flow_dataset
custom_hooks = [dict(type='RandomStateHook')]
