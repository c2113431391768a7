# Table 1 row 3 on the CPU demo: late fusion of the -rgb and -tvl1 runs
# (test only; each stream loads its own run's checkpoint). The streams are
# those two configs' models.
from mmengine import Config

_base_ = [
    '../_base_/models/r3d18_two_stream.py',
    './_base_/synthetic_motion_16x32_cpu.py'
]
model = dict(
    rgb_stream=Config.fromfile(
        '{{ fileDirname }}/'
        'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-rgb.py').model,
    flow_stream=Config.fromfile(
        '{{ fileDirname }}/'
        'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py').model,
    # product rule (weighted geometric mean, equal weights fixed before any
    # run): the streams see independent cues (colour, motion) on the
    # mixed-cue data; the mean of probabilities let the over-confident RGB
    # stream outvote the flow stream (docs/results/main_job.md)
    fusion='product',
    rgb_ckpt='work_dirs/r3d18slim_1xb16-16x1x1-120e_synthetic-motion-rgb',
    flow_ckpt='work_dirs/r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1')
del Config
