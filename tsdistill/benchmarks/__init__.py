# Copyright (c) tsdistill authors. All rights reserved.
"""The benchmarks of ``tools/benchmarks/``, apart from the library: test
latency and training cost, M1 against OpenCV and ground truth, flow
extraction; and their fixtures, frame pairs with known flow."""
