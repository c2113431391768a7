# Copyright (c) tsdistill authors. All rights reserved.
"""Collect the test metrics of several runs into a Table-1-style table.

Inputs, per run (``tools/analysis/compare_results.py NAME=PATH ...``):

* the metrics json that mmengine's ``LoggerHook`` writes at the end of a
  test run, ``<work_dir>/<timestamp>/<timestamp>.json``: one object with
  ``acc/top1``, ``acc/top5``, ``acc/mean1`` (fractions, from mmaction2's
  ``AccMetric``) and ``time`` / ``data_time`` (seconds per test iteration,
  averaged over the run);
* a work directory: its newest ``<timestamp>/<timestamp>.json`` holding
  ``acc/top1`` (a test run, not a training log);
* a ``--dump`` predictions file (``.pkl``, mmengine ``DumpResults``): the
  accuracies are recomputed from ``pred_score`` / ``gt_label``; no timing.
  It is read with the restricted unpickler of checkpoints
  (:func:`tsdistill.compat.load_pickle_restricted`), so a crafted
  file cannot run code.

Accuracies are clip-level or video-level exactly as the test pipeline made
them: with one clip per video (``25x1x1``) they are per clip; with several
clips or crops, the head averages them into one score per video.

``ms/clip`` = ``1000 * (time - data_time) / (batch_size * views)``: the
model's time per clip, without data loading, where ``batch_size`` and
``views`` (``num_clips`` of ``SampleFrames`` times 3 / 10 for
``ThreeCrop`` / ``TenCrop``) are read from the run's dumped config
(``<timestamp>/vis_data/config.py``) if present, else taken as 1 (and the
column then shows time per test iteration).

Several runs of one row (``NAME=PATH`` repeated with the same NAME, e.g.
one per seed or HMDB51 split) are aggregated into one row: the mean of
each number, with the sample standard deviation of top-1 and the number
of runs (HMDB51's standard figure is the mean over its 3 splits).

References (``--reference [METAFILE ...]``) are the models of metafiles in
mmaction2's model-zoo form (``configs/*/.../metafile.yml``) that have a
top-1 result; by default the shipped
``configs/recognition/r3d18/metafile.yml``: the paper's Table 1 and
mmaction2's published HMDB51 models. A model whose ``Table 1 Row``
(``rgb``, ``tvl1``, ``two-stream``, ``distill``) or name matches a run
name is shown next to that run; the rest are printed as a second table.
"""
import glob
import json
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import yaml
from mmaction.evaluation import mean_class_accuracy, top_k_accuracy

from ..utils.markdown import markdown_table
from ..utils.paths import shipped_path

METRIC_KEYS = ('acc/top1', 'acc/top5', 'acc/mean1')
#: The metafile of the paper's Table 1 and mmaction2's HMDB51 models, below
#: the shipped files (:func:`tsdistill.utils.paths.shipped_path`)
TABLE1_METAFILE = ('configs', 'recognition', 'r3d18', 'metafile.yml')


@dataclass
class RunResult:
    """Test results of one run; accuracies in percent."""
    name: str
    source: str
    top1: Optional[float] = None
    top5: Optional[float] = None
    mean_class: Optional[float] = None
    ms_per_clip: Optional[float] = None
    notes: List[str] = field(default_factory=list)
    runs: int = 1
    top1_std: Optional[float] = None


def find_metrics_json(work_dir: str) -> str:
    """Newest ``<timestamp>/<timestamp>.json`` of a test run in a work dir.

    Args:
        work_dir (str): An mmengine work directory.

    Returns:
        str: Path of the json file.
    """
    candidates = []
    for path in glob.glob(osp.join(work_dir, '*', '*.json')):
        stamp = osp.basename(osp.dirname(path))
        if osp.basename(path) != f'{stamp}.json':
            continue
        try:
            with open(path) as f:
                metrics = json.load(f)
        except (ValueError, OSError):
            continue  # a training log: one json object per line
        if isinstance(metrics, dict) and 'acc/top1' in metrics:
            candidates.append((stamp, path))
    if not candidates:
        raise FileNotFoundError(
            f'{work_dir}: no <timestamp>/<timestamp>.json with acc/top1 '
            '(run tools/test.py with this work dir first)')
    return max(candidates)[1]


def _views_and_batch(config_path: str) -> Tuple[int, int]:
    """Test batch size and clips x crops per sample from a dumped config."""
    from mmengine.config import Config
    cfg = Config.fromfile(config_path)
    loader = cfg.get('test_dataloader', {})
    batch_size = int(loader.get('batch_size', 1))
    views = 1
    for step in loader.get('dataset', {}).get('pipeline', []):
        kind = str(step.get('type', ''))
        if kind.endswith('SampleFrames'):
            views *= int(step.get('num_clips', 1))
            if step.get('twice_sample'):
                views *= 2
        elif kind == 'ThreeCrop':
            views *= 3
        elif kind == 'TenCrop':
            views *= 10
    return batch_size, views


def accuracies_from_predictions(
        predictions: Sequence[dict]) -> Tuple[float, float, float]:
    """Top-1, top-5 and mean class accuracy (%) from dumped predictions.

    Computed by the functions with which mmaction2's ``AccMetric``
    computes ``acc/top1``, ``acc/top5`` and ``acc/mean1``
    (``mmaction.evaluation.top_k_accuracy`` and ``mean_class_accuracy``),
    so a dump gives the numbers of its test run's metrics json. The mean
    class accuracy is mmaction2's: the mean over the classes that occur as
    labels or as predictions, a predicted class without test samples
    counting 0.

    Args:
        predictions (Sequence[dict]): Items with ``pred_score`` (class
            scores) and ``gt_label``, as written by ``tools/test.py --dump``.

    Returns:
        tuple[float, float, float]: Percentages.
    """
    scores = np.stack([np.asarray(p['pred_score']) for p in predictions])
    labels = np.array(
        [int(np.asarray(p['gt_label']).reshape(-1)[0]) for p in predictions],
        dtype=np.int64)
    top1, top5 = top_k_accuracy(scores, labels, topk=(1, 5))
    mean_class = mean_class_accuracy(scores, labels)
    return 100 * float(top1), 100 * float(top5), 100 * float(mean_class)


def load_run(name: str, path: str) -> RunResult:
    """Read one run's results (json, work dir or ``.pkl`` dump).

    Args:
        name (str): Row name (matched against reference ``key`` values).
        path (str): See the module docstring.

    Returns:
        RunResult: The row.
    """
    if osp.isdir(path):
        path = find_metrics_json(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{name}: {path} does not exist')
    result = RunResult(name=name, source=path)
    if path.endswith(('.pkl', '.pickle')):
        from ..compat import load_pickle_restricted
        result.top1, result.top5, result.mean_class = \
            accuracies_from_predictions(load_pickle_restricted(path))
        result.notes.append('recomputed from predictions, no timing')
        return result
    metrics = _read_metrics_json(name, path)
    missing = [k for k in METRIC_KEYS if k not in metrics]
    if len(missing) == len(METRIC_KEYS):
        raise ValueError(f'{name}: {path} has none of {METRIC_KEYS}')
    values = [
        None if metrics.get(k) is None else 100 * float(metrics[k])
        for k in METRIC_KEYS
    ]
    result.top1, result.top5, result.mean_class = values
    if 'time' in metrics:
        seconds = float(metrics['time']) - float(metrics.get('data_time', 0))
        config = osp.join(osp.dirname(path), 'vis_data', 'config.py')
        if osp.isfile(config):
            batch_size, views = _views_and_batch(config)
        else:
            batch_size, views = 1, 1
            result.notes.append('no dumped config: ms per test iteration')
        result.ms_per_clip = 1000 * seconds / (batch_size * views)
    return result


def _read_metrics_json(name: str, path: str) -> dict:
    """The metrics object of a test run's json, or an error naming it."""
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        metrics = json.loads(raw.decode('utf-8'))
    except ValueError as err:  # not UTF-8 text, or not JSON
        # protocol 2+ pickles start with the PROTO opcode, 0x80
        hint = (' (it holds a pickle: give a --dump file its .pkl name)'
                if raw[:1] == b'\x80' else '')
        raise ValueError(f'{name}: {path} is not a metrics json{hint}: '
                         f'{err}') from None
    if not isinstance(metrics, dict):
        raise ValueError(f'{name}: {path} holds a JSON '
                         f'{type(metrics).__name__}, not the metrics object '
                         'of a test run')
    return metrics


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    values = [float(v) for v in values]
    mean = float(np.mean(values))
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return mean, std


def _mean(values: Sequence[Optional[float]]) -> Optional[float]:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def aggregate_runs(runs: Sequence[RunResult]) -> List[RunResult]:
    """Merge the runs that share a name into one row (first-seen order).

    A merged row holds the mean of every number over its runs,
    ``top1_std`` (sample std, ``ddof=1``), ``runs`` and every run's source
    and notes; a name seen once is returned as it is.
    """
    groups: Dict[str, List[RunResult]] = {}
    for run in runs:
        groups.setdefault(run.name, []).append(run)
    merged = []
    for name, group in groups.items():
        if len(group) == 1:
            merged.append(group[0])
            continue
        top1 = [r.top1 for r in group if r.top1 is not None]
        merged.append(
            RunResult(
                name=name,
                source=', '.join(r.source for r in group),
                top1=_mean(top1),
                top5=_mean([r.top5 for r in group]),
                mean_class=_mean([r.mean_class for r in group]),
                ms_per_clip=_mean([r.ms_per_clip for r in group]),
                notes=[note for r in group for note in r.notes],
                runs=len(group),
                top1_std=mean_std(top1)[1] if len(top1) > 1 else None))
    return merged


def read_metafile(path: str) -> dict:
    """A ``metafile.yml`` in mmaction2's model-zoo form.

    Args:
        path (str): The file.

    Returns:
        dict: Its ``Collections`` and ``Models`` (lists).

    Raises:
        ValueError: The file is not YAML (the message names the file and
            line), or not a mapping with a ``Models`` list of mappings.
    """
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        data = yaml.safe_load(raw.decode('utf-8'))
    except UnicodeDecodeError as err:
        raise ValueError(f'{path}: not a metafile (not UTF-8 text: '
                         f'{err})') from None
    except yaml.YAMLError as err:
        mark = getattr(err, 'problem_mark', None)
        where = f':{mark.line + 1}' if mark is not None else ''
        problem = getattr(err, 'problem', None) or err
        raise ValueError(f'{path}{where}: not a metafile (YAML: '
                         f'{problem})') from None
    models = data.get('Models') if isinstance(data, dict) else None
    if not isinstance(models, list) or not all(
            isinstance(m, dict) for m in models):
        raise ValueError(f'{path}: not a metafile (no Models list of '
                         'mappings, as mmaction2\'s metafile.yml has)')
    return dict(Collections=list(data.get('Collections') or []), Models=models)


def reference_rows(metafile: dict, source: str = '') -> List[dict]:
    """Reference rows: the models of a metafile with a top-1 result.

    Args:
        metafile (dict): :func:`read_metafile`'s result.
        source (str): Where it was read from, for error messages. Defaults
            to ``''``.

    Returns:
        list[dict]: Per model with a ``Top 1 Accuracy`` (its first
        result that has one): ``name`` (the model's ``Name``), ``key``
        (``Metadata['Table 1 Row']``, or ``None``), ``method`` (the name,
        with the pretraining if any), ``top1``, ``top1_std`` (``Top 1
        Accuracy Std``, or ``None``), ``dataset`` and ``source``
        (``Metadata['Results Source']``, else the collection).

    Raises:
        ValueError: A model has no ``Name``, or a top-1 that is not a
            number (the message names ``source`` and the model).
    """
    rows = []
    for model in metafile['Models']:
        name = model.get('Name')
        if not name:
            raise ValueError(f'{source}: a model without a Name: {model}')
        meta = model.get('Metadata') or {}
        for result in model.get('Results') or []:
            metrics = result.get('Metrics') or {}
            if 'Top 1 Accuracy' not in metrics:
                continue
            try:
                top1 = float(metrics['Top 1 Accuracy'])
                std = metrics.get('Top 1 Accuracy Std')
                std = None if std is None else float(std)
            except (TypeError, ValueError):
                raise ValueError(
                    f'{source}: model {name}: Top 1 Accuracy '
                    f'{metrics["Top 1 Accuracy"]!r} (Std '
                    f'{metrics.get("Top 1 Accuracy Std")!r}) is not a '
                    'number') from None
            pretrained = meta.get('Pretrained')
            rows.append(
                dict(
                    name=name,
                    key=meta.get('Table 1 Row'),
                    method=name + (f' ({pretrained})' if pretrained
                                   and pretrained != 'None' else ''),
                    top1=top1,
                    top1_std=std,
                    dataset=result.get('Dataset'),
                    source=meta.get('Results Source')
                    or model.get('In Collection', '')))
            break
    return rows


def load_reference(
        paths: Union[str, Sequence[str], None] = None) -> List[dict]:
    """Reference rows of one or more metafiles (:func:`reference_rows`).

    Args:
        paths (str | Sequence[str], optional): ``metafile.yml`` files;
            ``None``: the shipped :data:`TABLE1_METAFILE`. Defaults to
            ``None``.

    Returns:
        list[dict]: The rows, file by file in model order.
    """
    if paths is None:
        paths = [shipped_path(*TABLE1_METAFILE)]
    elif isinstance(paths, str):
        paths = [paths]
    rows = []
    for path in paths:
        rows += reference_rows(read_metafile(path), path)
    return rows


def _ref_text(row: dict) -> str:
    """A reference's top-1 (and std) with the digits its source gives."""
    text = '-' if row.get('top1') is None else f'{row["top1"]:g}'
    if row.get('top1_std') is not None:
        text += f' ± {row["top1_std"]:g}'
    return text


def _fmt(value: Optional[float], digits: int = 1) -> str:
    return '-' if value is None else f'{value:.{digits}f}'


def format_table(runs: Sequence[RunResult],
                 reference: Sequence[dict] = ()) -> str:  # yapf: disable
    """Markdown table of the runs, and of the unmatched reference rows.

    Args:
        runs (Sequence[RunResult]): Rows in display order.
        reference (Sequence[dict]): Reference rows (:func:`load_reference`:
            ``key`` or ``name`` matches a run name; ``method``, ``top1``,
            optional ``top1_std`` and ``source``).

    Returns:
        str: The table(s).
    """
    # a run's reference: the row of its Table 1 key, else of its name
    by_key: Dict[str, dict] = {}
    for field_ in ('name', 'key'):
        for row in reference:
            if row.get(field_):
                by_key.setdefault(row[field_], row)
    matched = {id(by_key[run.name]) for run in runs if run.name in by_key}
    with_ref = bool(matched)
    several = any(run.runs > 1 for run in runs)
    header = ['method', 'top-1 %', 'top-5 %', 'mean class %', 'ms/clip']
    if several:
        header.append('runs')
    if with_ref:
        header.append('reference top-1 %')
    rows = []
    for run in runs:
        top1 = _fmt(run.top1)
        if run.top1_std is not None:
            top1 += f' ± {run.top1_std:.1f}'
        cells = [
            run.name, top1,
            _fmt(run.top5),
            _fmt(run.mean_class),
            _fmt(run.ms_per_clip)
        ]
        if several:
            cells.append(str(run.runs))
        if with_ref:
            ref = by_key.get(run.name)
            cells.append(_ref_text(ref) if ref else '-')
        rows.append(cells)
    lines = [markdown_table(header, rows)]
    others = [row for row in reference if id(row) not in matched]
    if others:
        lines += [
            '',
            markdown_table(
                ['reference', 'top-1 %', 'source'],
                [[row['method'],
                  _ref_text(row),
                  row.get('source', '')] for row in others])
        ]
    notes = [f'{run.name}: {note}' for run in runs for note in run.notes]
    if notes:
        lines += [''] + [f'Note: {note}' for note in notes]
    return '\n'.join(lines)


def parse_run_spec(spec: str) -> Tuple[str, str]:
    """``NAME=PATH`` -> ``(NAME, PATH)``; a bare path is named by itself."""
    if '=' in spec:
        name, path = spec.split('=', 1)
        return name, path
    return osp.basename(osp.normpath(spec)), spec
