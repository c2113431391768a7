# Copyright (c) tsdistill authors. All rights reserved.
"""The main job, apart from the library: the paper's Table 1 trained and
tested in one call (``tools/run_table1.py``), its tables and plots
(``tools/analysis/compare_results.py``), Fig. 5 (``tools/visualize_flow.py``)
and the config dumps of the refactoring checks
(``tools/misc/dump_configs.py``)."""
