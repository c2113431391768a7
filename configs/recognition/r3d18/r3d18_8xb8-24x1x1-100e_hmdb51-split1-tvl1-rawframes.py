# Table 1, row 2 on precomputed flow: the teacher's M2 (R3D-18 with 2 input
# channels) trained on the TV-L1 flow JPEGs that tools/extract_flow.py
# wrote with M1 (24 flow frames per clip), HMDB51 split 1. Same network,
# head and schedule as the -tvl1 config, which computes the flow inside
# the model; FlowRecognizer3D without flow_cfg passes the flow through.
# Data: see configs/_base_/datasets/hmdb51_flow_rawframes.py.
#
# The checkpoint loads into the -tvl1 teacher (same M2 keys), so a teacher
# trained here can be the distillation teacher that computes flow with M1:
#   --cfg-options model.teacher_ckpt=work_dirs/<this config>/epoch_100.pth
# on the -distill config. Extract the flow with M1's settings of the -tvl1
# config (TVL1OpticalFlow's defaults) and at the short side 128 the RGB
# pipeline uses, so both see the same flow.
#
# Normalisation: extract_flow stores u / 20 px, clipped, as
# q = min(floor(255 (u / 20 + 1) / 2), 254), mmcv's quantisation, whose
# bin centres are u / 20 = (q - 127) / 127.5. mean 127 / std 127.5 give
# M2 exactly the [-1, 1] flow / flow_bound that the -tvl1 teacher feeds
# it, up to half a quantum (0.08 px). mmaction2's flow configs use
# mean = std = 128: zero flow would read as -1/128 (-0.16 px in x and y).
# For denseflow's rawframes (q = round(127.5 (u / 20 + 1))) use 127.5.
_base_ = [
    '../../_base_/models/r3d18_tvl1_flow.py',
    '../../_base_/datasets/hmdb51_flow_rawframes.py',
    '../../_base_/schedules/sgd_100e.py', '../../_base_/default_runtime.py'
]

model = dict(
    flow_cfg=None,
    data_preprocessor=dict(mean=[127.0, 127.0], std=[127.5, 127.5]))
