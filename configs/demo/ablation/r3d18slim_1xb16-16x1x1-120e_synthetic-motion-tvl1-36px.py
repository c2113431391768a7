# A lever of the teacher (docs/results/teacher_ablations.md): frames kept at
# the videos' own 40 px and 36 px crops, instead of resized to 36 px and
# cropped to 32; M1 and M2 as the demo teacher.
_base_ = ['../r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py']
short_side = 40
crop_size = 36
# the base's pipelines with these sizes put in again (mmengine fills a
# base's sizes in when it reads the base)
resized = dict(
    Resize=dict(scale=(-1, short_side)),
    RandomCrop=dict(size=crop_size),
    CenterCrop=dict(crop_size=crop_size))
train_pipeline, test_pipeline = ([
    dict(step, **resized.get(step['type'], {})) for step in pipeline
] for pipeline in (_base_.train_pipeline, _base_.test_pipeline))
del resized
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
