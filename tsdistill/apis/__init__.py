# Copyright (c) tsdistill authors. All rights reserved.
"""Inference, as mmaction2's ``apis``: the distilled student (M3) through
mmaction2's own ``init_recognizer`` and ``inference_recognizer``."""
from .inference import (inference_recognizer, init_recognizer, init_student,
                        student_config)

__all__ = [
    'inference_recognizer', 'init_recognizer', 'init_student', 'student_config'
]
