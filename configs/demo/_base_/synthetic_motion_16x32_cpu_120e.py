# The CPU demo's 120-epoch schedule, shared by the RGB baseline, the teacher
# and the student (docs/results/main_job.md). At 20 epochs both RGB models
# stayed near chance on the motion-only data and the teacher reached 63.6 %
# (85.2 % at 60). At 60 epochs the student learned the motion on some seeds
# only (mixed-cue data: 28.4 / 89.8 / 62.5 %); at 120 on every seed of both
# embedded datasets, and the RGB model learned more of it too.
_base_ = ['./synthetic_motion_16x32_cpu.py']

max_epochs = 120
# validated and checkpointed half-way and at the end
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs // 2)
# the base's 2-epoch warm-up, then its cosine to 0 over the other epochs
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], T_max=max_epochs - 2, end=max_epochs)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs // 2))
