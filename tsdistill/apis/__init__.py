# Copyright (c) tsdistill authors. All rights reserved.
"""High-level entry points: the Table 1 job and the latency benchmark."""
