# Table 1, row 3: late fusion of the RGB model (row 1) and the TV-L1 teacher
# (row 2), each loaded from its own run; test only:
#   python tools/misc/fuse_two_stream.py <this config> two_stream.pth
#   python tools/test.py <this config> two_stream.pth
_base_ = [
    '../../_base_/models/r3d18_two_stream.py',
    '../../_base_/datasets/hmdb51_video.py',
    '../../_base_/schedules/sgd_100e.py', '../../_base_/default_runtime.py'
]

model = dict(
    fusion_weights=(1.0, 1.0),
    # work directories of the two runs (their `last_checkpoint` is loaded),
    # following HMDB51_SPLIT like the dataset base (see the distill config)
    rgb_ckpt='work_dirs/r3d18_8xb8-25x1x1-100e_hmdb51-'
    'split{{$HMDB51_SPLIT:1}}-rgb',
    flow_ckpt='work_dirs/r3d18_8xb8-25x1x1-100e_hmdb51-'
    'split{{$HMDB51_SPLIT:1}}-tvl1')
