# Copyright (c) tsdistill authors. All rights reserved.
"""A job's report as a JSON file: the benchmarks' and Table 1's."""
import json
import os
import os.path as osp


def write_json_report(path: str, report: object) -> None:
    """Write ``report`` to ``path`` as JSON indented by 2 spaces.

    The folder of ``path`` is created if missing; an existing file is
    replaced.

    Args:
        path (str): The ``.json`` file.
        report (object): Anything ``json.dump`` takes.
    """
    parent = osp.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(report, f, indent=2)
