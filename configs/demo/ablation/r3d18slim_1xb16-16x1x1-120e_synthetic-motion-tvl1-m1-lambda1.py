# A lever of the teacher (docs/results/teacher_ablations.md): M1's data term
# weighted lambda_=1.0 instead of 0.15 (less smoothing). On the motion-only
# clips the demo M1's flow over a rotating object has a fifth to a tenth of
# the true rotation's curl (0.021 against 0.10-0.21 per frame,
# tools/analysis/flow_curl.py): the object's grey texture is faint against
# the background's, and the TV term spreads the background's drift over
# it; lambda_=1.0 raises the curl to 0.034.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py']
model = dict(flow_cfg=dict(lambda_=1.0))
