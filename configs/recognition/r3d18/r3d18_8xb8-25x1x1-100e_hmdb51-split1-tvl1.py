# Table 1, row 2: the teacher, R3D-18 on TV-L1 flow computed from the RGB
# clip by M1 (25 RGB frames -> 24 flow frames), HMDB51 split 1.
_base_ = [
    '../../_base_/models/r3d18_tvl1_flow.py',
    '../../_base_/datasets/hmdb51_video.py',
    '../../_base_/schedules/sgd_100e.py', '../../_base_/default_runtime.py'
]
