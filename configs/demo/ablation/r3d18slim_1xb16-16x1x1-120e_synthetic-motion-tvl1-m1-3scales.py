# A lever of the teacher (docs/results/teacher_ablations.md): M1 at 3 scales
# (32, 16, 8 px), 3 warps and 10 iterations per warp instead of one scale,
# one warp and 30 iterations; M2 and the data as the demo teacher.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py']
model = dict(flow_cfg=dict(num_scales=3, num_warps=3, num_iters=10))
