# Early fusion on the CPU demo, an upper reference for Table 1: the -tvl1
# row's M1 and slim R3D-18, whose backbone reads the normalised RGB frames
# and their flow stacked as 5 channels (EarlyFusionRecognizer3D: the last
# of the 16 RGB frames is dropped, so 15 frames of RGB + flow), trained with
# cross-entropy on the same schedule. On the binding mode of the embedded
# data it can bind the motion to the object that makes it; late fusion of
# the RGB and flow streams cannot (tsdistill.data_tools.synthetic_motion).
_base_ = ['./r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py']
model = dict(type='EarlyFusionRecognizer3D', backbone=dict(in_channels=5))
