# Copyright (c) tsdistill authors. All rights reserved.
"""The analyses of ``tools/analysis/``, apart from the library: how much of
a rotation M1 recovers, and how much of the teacher's features a trained
student reproduces."""
