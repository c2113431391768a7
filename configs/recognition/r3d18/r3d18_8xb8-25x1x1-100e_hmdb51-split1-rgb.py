# Table 1, row 1: R3D-18 on RGB, from scratch, HMDB51 split 1.
# (other splits: the split variable of the dataset base)
_base_ = [
    '../../_base_/models/r3d18_rgb.py',
    '../../_base_/datasets/hmdb51_video.py',
    '../../_base_/schedules/sgd_100e.py', '../../_base_/default_runtime.py'
]
