# Ablation: MARS-style matching of the globally pooled last-stage feature
# with alpha (lambda) = 50, as in Crasto et al.'s published commands.
_base_ = ['./r3d18_8xb8-25x1x1-100e_hmdb51-split1-distill.py']

model = dict(distill_features=('pooled', ), lambda_=50.0)
