# Ablation: MARS-style matching of the globally pooled last-stage feature
# with alpha (lambda) = 50, as in Crasto et al.'s published commands.
_base_ = ['./r3d18_8xb8-25x1x1-100e_hmdb51-split1-distill.py']

model = dict(
    loss_distill=dict(
        _delete_=True,
        type='PooledFeatureMSELoss',
        loss_weight=50.0,
        pairs=[('pooled', 'pooled')]),
    # MARS trains with CE from the start
    loss_schedule=None)
