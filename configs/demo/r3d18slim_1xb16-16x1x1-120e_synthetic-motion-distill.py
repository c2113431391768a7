# Table 1 row 4 on the CPU demo: the student M3 (slim R3D-18 on RGB) with
# CE + lambda * distillation loss against the frozen teacher of the -tvl1
# config: the default of r3d18_distill.py (FitNets hints on stages 1-3,
# each on half of the student's channels, lambda 10, after 10 epochs
# without CE; docs/results/distillation_ablations.md).
from mmengine import Config

_base_ = [
    '../_base_/models/r3d18_distill.py',
    './_base_/synthetic_motion_16x32_cpu_120e.py'
]
# the slim R3D-18 of the demo
model = dict(
    Config.fromfile('{{ fileDirname }}/_base_/r3d18slim.py').model,
    teacher_cfg='configs/demo/'
    'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py',
    teacher_ckpt='work_dirs/'
    'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1')
del Config
