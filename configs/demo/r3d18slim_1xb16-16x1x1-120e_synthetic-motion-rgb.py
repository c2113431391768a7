# Table 1 row 1 on the CPU demo: R3D-18 layout with 8 base channels on RGB.
from mmengine import Config

_base_ = [
    '../_base_/models/r3d18_rgb.py',
    './_base_/synthetic_motion_16x32_cpu_120e.py'
]
# the slim R3D-18 of the demo
model = Config.fromfile('{{ fileDirname }}/_base_/r3d18slim.py').model
del Config
