# Two-stream late fusion (Table 1, row 3): the RGB R3D-18 and the flow
# teacher (M1 + M2) read the same RGB clip; their softmax scores are fused
# by a weighted average. The streams are the models of r3d18_rgb.py and
# r3d18_tvl1_flow.py, read from those files: mmengine cannot inherit two
# bases that both define `model`, and a `{{_base_.xxx}}` variable would
# become a key of every config that inherits the model files.
from mmengine import Config

rgb_stream = Config.fromfile('{{ fileDirname }}/r3d18_rgb.py').model
model = dict(
    type='TwoStreamRecognizer3D',
    rgb_stream=rgb_stream,
    flow_stream=Config.fromfile('{{ fileDirname }}/r3d18_tvl1_flow.py').model,
    fusion_weights=(1.0, 1.0),
    # experiment configs set the streams' checkpoints (file or work dir)
    rgb_ckpt=None,
    flow_ckpt=None,
    data_preprocessor=rgb_stream.data_preprocessor)
del Config, rgb_stream
