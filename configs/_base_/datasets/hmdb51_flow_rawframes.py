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
# Folders from an earlier extract_flow hold flow_{x,y}_%05d.jpg, which this
# template does not read: rerun extract_flow with the same settings and
# --rename-old-names (renames, nothing recomputed) or --overwrite.
#
# Split and root: HMDB51_SPLIT (1, 2 or 3) and HMDB51_ROOT, as in
# hmdb51_video.py.
#
# Flip: a horizontal flip negates the x flow; mmaction2 1.2.0's Flip got
# this wrong for stacked (H, W, 2) flow, `import tsdistill` fixes it
# (tsdistill/compat.py, patch 5).
#
# Test protocol (val and test): one view per video, the centre 24 flow
# frames and the centre 112x112 crop, so accuracies are video-level.
split = '{{$HMDB51_SPLIT:1}}'
if split not in ('1', '2', '3'):
    raise ValueError('HMDB51_SPLIT must be 1, 2 or 3 (the official splits '
                     f'of HMDB51), got {split!r}')
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
short_side = 128
crop_size = 112

train_pipeline = [
    dict(
        type='SampleFrames', clip_len=clip_len, frame_interval=1,
        num_clips=1),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, short_side)),
    dict(type='RandomCrop', size=crop_size),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(
        type='SampleFrames',
        clip_len=clip_len,
        frame_interval=1,
        num_clips=1,
        test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, short_side)),
    dict(type='CenterCrop', crop_size=crop_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = val_pipeline

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        data_prefix=dict(img=flow_root),
        filename_tmpl=filename_tmpl,
        modality='Flow',
        start_index=1,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        data_prefix=dict(img=flow_root),
        filename_tmpl=filename_tmpl,
        modality='Flow',
        start_index=1,
        pipeline=val_pipeline,
        test_mode=True))
# test: the val loader (ann_file_test and test_pipeline are val's), one
# video per batch
test_dataloader = dict(val_dataloader, batch_size=1)

val_evaluator = dict(
    type='AccMetric',
    metric_list=('top_k_accuracy', 'mean_class_accuracy'),
    metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
test_evaluator = val_evaluator
# RandomStateHook: every rank's random state in each checkpoint (--resume
# continues with the same augmentation), as for the video datasets
custom_hooks = [dict(type='RandomStateHook')]
