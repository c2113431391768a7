# Copyright (c) tsdistill authors. All rights reserved.
"""Write a student-only checkpoint loadable by a plain mmaction2 model.

The distilled student (``DistillRecognizer3D``) never stores its teacher;
its checkpoints only carry training-only extras: the connectors of its
distillation terms (``connectors.*``, e.g. the regressor of a
``FitNetsLoss`` term), optimizer, schedulers and message hub. This drops
them (and any ``teacher.*`` keys, as other distillers write), so the
result loads with ``strict=True`` into the ``Recognizer3D`` config of the
same backbone and head, without tsdistill (mmaction2's
``init_recognizer`` / ``inference_recognizer``; see
:mod:`tsdistill.apis.inference`). A file that is not a checkpoint, or a
teacher (flow) or two-stream checkpoint, is refused with exit status 1 and
nothing written::

    python tools/misc/export_student.py \
        work_dirs/r3d18_8xb8-25x1x1-100e_hmdb51-split1-distill/epoch_100.pth \
        r3d18_student.pth
"""
import argparse
import pickle
import sys

from tsdistill.models.recognizers import export_student_checkpoint
from tsdistill.models.recognizers.checkpoint import CheckpointReadError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='student checkpoint (file or work dir)')
    parser.add_argument('dst', help='output .pth')
    args = parser.parse_args(argv)
    try:
        removed, _ = export_student_checkpoint(args.src, args.dst)
    except (CheckpointReadError, FileNotFoundError, ValueError,
            pickle.UnpicklingError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'wrote {args.dst}; removed {len(removed)} training-only keys' +
          (f': {", ".join(removed)}' if removed else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
