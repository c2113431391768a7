# Table 1 row 2 on the CPU demo: M1 (built-in TV-L1; one scale, one warp,
# 30 iterations at 32x32) + M2 (slim R3D-18 on the flow stack), 120 epochs
# like the RGB model and the student: on the motion-only data 20 epochs gave
# 63.6 %, 60 gave 85.2 % (eager M1) and 84.1 %, and 120 gave 84.1 %
# (docs/results/teacher_ablations.md and motion_only.md).
from mmengine import Config

_base_ = [
    '../_base_/models/r3d18_tvl1_flow.py',
    './_base_/synthetic_motion_16x32_cpu_120e.py'
]
# the slim R3D-18 of the demo
model = dict(
    Config.fromfile('{{ fileDirname }}/_base_/r3d18slim.py').model,
    flow_cfg=dict(num_scales=1, num_warps=1, num_iters=30))
del Config
