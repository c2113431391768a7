# Ablation of the student's distillation term
# (docs/results/binding.md): the lambda3 ablation with half of each training
# batch played backwards for the hints only (hint_time_reverse=0.5; CE sees
# the other half): a clip and its reversal hold the same frames, so the
# student can match the teacher's maps of both only by computing the motion.
_base_ = ['./r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill-lambda3.py']
model = dict(hint_time_reverse=0.5)
