# The paper's optimiser: SGD, lr 0.1, momentum 0.9, weight decay 5e-4, for a
# total batch of 64 (8 GPUs x 8 clips). Models are trained from scratch, so
# the lr ramps up linearly over 5 epochs, then follows a cosine to 0; the
# gradient norm is clipped at 40 as in mmaction2's 3D CNN schedules.
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=100, val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=95,
        eta_min=0,
        by_epoch=True,
        begin=5,
        end=100,
        convert_to_iter_based=True)
]

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(max_norm=40, norm_type=2))

# lr 0.1 is for 8 x 8 clips; `--auto-scale-lr` rescales it for other sizes
auto_scale_lr = dict(enable=False, base_batch_size=64)
