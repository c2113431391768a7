# Copyright (c) tsdistill authors. All rights reserved.
"""The jobs behind tools/: Table 1, flow extraction, the benchmarks, Fig. 5."""
