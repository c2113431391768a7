# A lever of the teacher (docs/results/binding.md, "The flow and the flow
# without the camera"): M2 reads M1's flow and the same flow relative to
# the camera (the median of each component in each frame pair subtracted),
# 4 channels. The teacher of -tvl1-camera reads only the relative flow; it
# helped the student where the camera moves the whole scene (the binding
# validation sets) and hurt it on the motion-only data, whose classes are
# the object's motion in the frame while only the background drifts
# (teacher 4.6-7.9 points weaker on seeds 0-2, the student of seed 0 at
# 47.7 % against 84.1 % from the default teacher). With both,
# M2 has what moves in the frame and what moves against the background.
# Seed 0: the best student on the motion-only (94.3 %) and 64-px binding
# data (82.8 %), but on the binding data with a still or drifting camera
# its students do not bind (46.6 % each, against 98.9 and 59.1 from the
# default teacher): not run further.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py']
model = dict(camera_motion='both', backbone=dict(in_channels=4))
