# Ablation of the student's schedule (docs/results/binding.md): the lambda3
# ablation with batches of 8 clips instead of 16 at the same learning rate:
# twice the optimizer steps in the same 120 epochs (at 60 epochs the
# mixed-cue transfer was a knife-edge, at 120 it held on every seed).
_base_ = ['./r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill-lambda3.py']
train_dataloader = dict(batch_size=8)
