# A lever of the teacher (docs/results/binding.md): M2 reads M1's flow
# relative to the camera, the median of each flow component in each frame
# pair subtracted (FlowRecognizer3D's subtract_camera_motion). With a
# drifting camera the demo M1 moves the textured background and both discs
# of the binding data, so the flow no longer marks which disc moved.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py']
model = dict(subtract_camera_motion=True)
