# A lever of the teacher (docs/results/binding.md, "A teacher without the
# camera's motion"): M2 reads M1's flow relative to the camera, the median
# of each flow component in each frame pair subtracted (FlowRecognizer3D's
# camera_motion='subtract'). With a drifting camera the demo M1 moves the
# textured background and both discs of the binding data, so the flow no
# longer marks which disc moved. On the two binding validation sets (64-px
# and drifting-camera), 5 seeds each, the default student distilled from
# this teacher reached 76.2 +- 4.3 and 88.4 +- 1.2 % where it reached
# 49.4 +- 13.4 and 70.2 +- 14.1 from the default teacher. Not the
# default: on the motion-only data, whose generator drifts the background
# only (the class is the object's motion in the frame), the teacher is
# 4.6-7.9 points weaker on seeds 0-2 and the student of seed 0 fell to
# 47.7 % (84.1 % from the default teacher).
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py']
model = dict(camera_motion='subtract')
