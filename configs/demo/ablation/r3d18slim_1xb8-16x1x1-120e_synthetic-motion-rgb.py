# Control of the 1xb8 student ablation (docs/results/binding.md): the RGB
# baseline with the same batches of 8 clips at the same learning rate, so
# that a student's gain over it is not the schedule's.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-rgb.py']
train_dataloader = dict(batch_size=8)
