# Copyright (c) tsdistill authors. All rights reserved.
"""Results as pictures: Table 1 beside the paper, and training curves.

- :func:`plot_table1`: a bar chart of Table 1, the measured top-1 of each
  row (mean, with the sample std over runs as an error bar) beside the
  paper's number for that row (the ``Table 1 Row`` models of
  ``configs/recognition/r3d18/metafile.yml``).
- :func:`plot_training_curves`: the training curves of one or more runs
  from mmengine's scalar logs (``<run>/<timestamp>/vis_data/scalars.json``,
  written by ``LocalVisBackend``: one JSON object per line; training lines
  carry ``epoch``, ``iter`` and ``step`` (= iteration), validation lines
  the metrics (``acc/top1``) and ``step`` (= epoch)).
- :func:`plot_job_results`: both, for the main job's work directory.

Figures are drawn on matplotlib's Agg canvas, without pyplot: no display
is needed and the process's matplotlib backend is left alone.
"""
import glob
import json
import logging
import math
import os
import os.path as osp
import textwrap
from typing import Dict, List, Optional, Sequence, Union

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mmengine.logging import print_log

from .results_table import load_reference

#: The paper's Table 1 (HMDB51 top-1 %), used if the metafile lacks it
PAPER_TABLE1 = {
    'rgb': 34.5,
    'tvl1': 36.5,
    'two-stream': 46.6,
    'distill': 54.5,
}
#: Loss keys drawn first, in this order; other ``loss*`` keys follow
LOSS_KEYS = ('loss', 'loss_cls', 'loss_distill')
#: Pixels per inch of the PNGs
DPI = 100


def paper_table1(metafile: Optional[str] = None) -> Dict[str, float]:
    """The paper's Table 1 top-1 % by row key.

    Args:
        metafile (str, optional): A ``metafile.yml`` (mmaction2's model-zoo
            form); its models with a ``Table 1 Row`` and a top-1 are used.
            ``None``: the shipped ``configs/recognition/r3d18/metafile.yml``
            (:func:`tsdistill.jobs.results_table.load_reference`). Defaults
            to ``None``.

    Returns:
        dict[str, float]: ``{key: top1}``; :data:`PAPER_TABLE1` (with a
        warning naming the file) if it cannot be read or holds no such
        model.
    """
    try:
        paper = {
            row['key']: row['top1']
            for row in load_reference(metafile) if row['key']
        }
    except (OSError, ValueError) as err:
        print_log(
            f'paper_table1: {err}; using the numbers quoted in the code',
            logger='current',
            level=logging.WARNING)
        paper = {}
    return paper or dict(PAPER_TABLE1)


def _figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas (inches)."""
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, out_png: str) -> str:
    parent = osp.dirname(out_png)
    if parent:
        os.makedirs(parent, exist_ok=True)
    # no bbox_inches='tight': the PNG keeps the figure's size in pixels
    fig.savefig(out_png, dpi=DPI)
    return out_png


def plot_table1(summary: Sequence[dict],
                out_png: str,
                paper: Optional[Dict[str, float]] = None,
                title: str = 'Table 1: top-1 accuracy',
                note: Optional[str] = None) -> str:
    """Bar chart of Table 1 (:func:`table1_figure`) as PNG.

    Args:
        summary (Sequence[dict]): See :func:`table1_figure`.
        out_png (str): PNG to write (parent directories are created),
            ``max(8, 1.5 n + 2)`` x 5 inches at :data:`DPI` pixels per inch
            for ``n`` rows.
        paper (dict, optional): See :func:`table1_figure`.
        title (str): See :func:`table1_figure`.
        note (str, optional): See :func:`table1_figure`.

    Returns:
        str: ``out_png``.
    """
    return _save(table1_figure(summary, paper, title, note), out_png)


def table1_figure(summary: Sequence[dict],
                  paper: Optional[Dict[str, float]] = None,
                  title: str = 'Table 1: top-1 accuracy',
                  note: Optional[str] = None) -> Figure:
    """Bar chart of Table 1: measured top-1 beside the paper's.

    One group per row of ``summary``, in its order: the measured mean
    top-1 (error bar: ``top1_std``, if given and non-zero) and, if the
    paper has the row's ``key``, the paper's number. Rows the paper does
    not have (ablation variants, other keys) get the measured bar only.

    Args:
        summary (Sequence[dict]): :func:`tsdistill.jobs.table1.summarize`'s
            rows; used: ``key``, ``method``, ``top1`` (%) and, optional,
            ``top1_std`` and ``runs``.
        paper (dict, optional): ``{key: top1 %}``; ``None`` reads
            :func:`paper_table1`. Defaults to ``None``.
        title (str): Figure title. Defaults to
            ``'Table 1: top-1 accuracy'``.
        note (str, optional): A line under the title, e.g. which data the
            measured numbers are on. Defaults to ``None``.

    Returns:
        matplotlib.figure.Figure: One axes; its first bar container is
        the measured row, the second (if any) the paper's.

    Raises:
        ValueError: ``summary`` is empty.
    """
    if not summary:
        raise ValueError('plot_table1: the summary has no rows')
    if paper is None:
        paper = paper_table1()
    n = len(summary)
    fig = _figure(max(8.0, 1.5 * n + 2), 5.0)
    ax = fig.subplots()
    width = 0.38
    measured = [float(r['top1']) for r in summary]
    stds = [float(r.get('top1_std') or 0.0) for r in summary]
    runs = [int(r.get('runs') or 1) for r in summary]
    xs = list(range(n))
    label = 'measured'
    if any(stds):
        label += ' (mean ± sample std over runs)'
    bars = ax.bar([x - width / 2 for x in xs],
                  measured,
                  width,
                  yerr=stds if any(stds) else None,
                  capsize=4,
                  color='tab:blue',
                  label=label)
    for bar, value, std, k in zip(bars, measured, stds, runs):
        text = f'{value:.1f}' + (f'\n±{std:.1f}' if std else '')
        if k > 1:
            text += f'\n(n={k})'
        ax.annotate(
            text, (bar.get_x() + bar.get_width() / 2, value + std),
            xytext=(0, 2),
            textcoords='offset points',
            ha='center',
            va='bottom',
            fontsize=8)
    paper_xs = [x for x, r in zip(xs, summary) if r['key'] in paper]
    if paper_xs:
        values = [paper[summary[x]['key']] for x in paper_xs]
        pbars = ax.bar([x + width / 2 for x in paper_xs],
                       values,
                       width,
                       color='tab:gray',
                       label='paper (HMDB51, Table 1)')
        for bar, value in zip(pbars, values):
            ax.annotate(
                f'{value:.1f}', (bar.get_x() + bar.get_width() / 2, value),
                xytext=(0, 2),
                textcoords='offset points',
                ha='center',
                va='bottom',
                fontsize=8)
    ax.set_xticks(xs)
    ax.set_xticklabels([textwrap.fill(str(r['method']), 18) for r in summary],
                       fontsize=8)
    top = max([m + s for m, s in zip(measured, stds)] +
              [paper[r['key']] for r in summary if r['key'] in paper])
    # room above the tallest bar for its three-line label (up to 100 %)
    ax.set_ylim(0, max(10.0, min(125.0, top * 1.25 + 5)))
    ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= 100])
    ax.set_ylabel('top-1 %')
    ax.set_title(title + (f'\n{note}' if note else ''), fontsize=10)
    ax.legend(loc='best', fontsize=8)
    ax.grid(axis='y', alpha=0.3)
    fig.tight_layout()
    return fig


def read_scalars(path: str) -> List[dict]:
    """The records of one mmengine ``scalars.json`` (JSON lines).

    A line that is not a complete JSON object (the last one of a run
    killed while writing) is skipped.
    """
    records = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


def _is_train(record: dict) -> bool:
    return 'iter' in record and any(k.startswith('loss') for k in record)


def _is_val(record: dict) -> bool:
    return any(k.startswith('acc/') for k in record)


def find_scalar_logs(run_dir: str) -> List[str]:
    """``<run_dir>/<timestamp>/vis_data/scalars.json`` files, oldest first.
    """
    pattern = osp.join(glob.escape(run_dir), '*', 'vis_data', 'scalars.json')
    return sorted(glob.glob(pattern))


def load_run_scalars(run_dir: str) -> Dict[str, List[dict]]:
    """Training and validation records of a run, resumed runs joined.

    A run directory holds one ``<timestamp>/`` per Runner started in it:
    the training run, a resumed continuation (starting after the last
    checkpoint), test-only runs (no training records). The newest log with
    training records is used; where it starts after an older log's first
    iteration (``--resume``), the older log's records before that point
    are put in front of it. Validation records follow the same rule, by
    ``step``.

    Args:
        run_dir (str): An mmengine work directory.

    Returns:
        dict: ``train`` and ``val``: lists of records, by step.
    """
    logs = []
    for path in find_scalar_logs(run_dir):
        records = read_scalars(path)
        train = [r for r in records if _is_train(r)]
        if train:
            logs.append((train, [r for r in records if _is_val(r)]))
    train: List[dict] = []
    val: List[dict] = []
    for old_train, old_val in reversed(logs):
        if not train:
            train, val = old_train, old_val
            continue
        first = train[0]
        if old_train[0]['step'] >= first['step']:
            continue  # the later log started anew: the older one is stale
        # resumed at ``first``: the older log's part before it, then this
        train = [r for r in old_train if r['step'] < first['step']] + train
        # validation steps are epochs (iterations in iteration-based runs)
        cut = first.get('epoch', first['step'])
        val = [r for r in old_val if r['step'] < cut] + val
    return dict(train=train, val=val)


def _iters_per_epoch(train: List[dict]) -> Optional[float]:
    """Iterations per epoch: ``max(iter / epoch)`` over the records.

    Exact when an epoch's last iteration is logged (mmengine's
    ``LoggerHook`` logs it unless ``ignore_last``); otherwise a little low.
    """
    ratios = [
        r['iter'] / r['epoch'] for r in train
        if r.get('epoch') and r.get('iter')
    ]
    return max(ratios) if ratios else None


def _run_labels(run_dirs: Sequence[str]) -> List[str]:
    """Short legend names: the parts of the run paths that differ.

    Leading directories common to all runs are dropped, and the config
    names lose their common prefix (cut after a ``-``, ``_`` or ``.``):
    ``split1_seed0/r3d18_...-rgb`` and ``split1_seed0/r3d18_...-tvl1`` are
    ``rgb`` and ``tvl1``.
    """
    parts = [osp.normpath(d).split(os.sep) for d in run_dirs]
    if len(parts) == 1:
        return [parts[0][-1]]
    start = 0
    while (start < min(len(p) for p in parts) - 1
           and len({p[start]
                    for p in parts}) == 1):
        start += 1
    names = [p[-1] for p in parts]
    prefix = osp.commonprefix(names)
    cut = max(prefix.rfind(c) for c in '-_.') + 1
    labels = []
    for p, name in zip(parts, names):
        short = name[cut:] or name
        labels.append(' '.join(p[start:-1] + [short]))
    return labels


def plot_training_curves(work_dirs: Union[str, Sequence[str]],
                         out_png: str,
                         labels: Optional[Sequence[str]] = None) -> str:
    """Training curves (:func:`training_curves_figure`) as PNG.

    Args:
        work_dirs (str | Sequence[str]): mmengine work directories (each
            holding ``<timestamp>/vis_data/scalars.json``).
        out_png (str): PNG to write (parent directories are created): 5 x 4
            inches per panel, at most 3 panels a row, :data:`DPI` pixels
            per inch.
        labels (Sequence[str], optional): See
            :func:`training_curves_figure`.

    Returns:
        str: ``out_png``.

    Raises:
        FileNotFoundError: No run holds training records.
    """
    return _save(training_curves_figure(work_dirs, labels), out_png)


def _trailing_mean(xs: Sequence[float], ys: Sequence[float],
                   span: float) -> List[float]:
    """Mean of the ``ys`` whose ``x`` lies in ``(x - span, x]``."""
    out = []
    lo = 0
    total = 0.0
    for hi, (x, y) in enumerate(zip(xs, ys)):
        total += y
        while xs[lo] <= x - span:
            total -= ys[lo]
            lo += 1
        out.append(total / (hi - lo + 1))
    return out


def training_curves_figure(work_dirs: Union[str, Sequence[str]],
                           labels: Optional[Sequence[str]] = None) -> Figure:
    """Training curves of mmengine runs, one line per run.

    Panels: ``loss``, ``loss_cls``, ``loss_distill`` and any other
    ``loss*`` key logged by some run (as logged: mmengine's
    ``LogProcessor`` averages losses over its ``window_size`` iterations),
    then accuracy in %: validation ``acc/top1`` (markers) and the training
    batches' ``top1_acc`` (a line: logged per batch, so averaged here over
    the last epoch of logs). The x axis is the epoch (iteration divided by
    the iterations per epoch), or the iteration for iteration-based runs.

    Args:
        work_dirs (str | Sequence[str]): mmengine work directories (each
            holding ``<timestamp>/vis_data/scalars.json``); runs without
            training records (test-only) are left out.
        labels (Sequence[str], optional): Legend names of the runs;
            ``None``: the parts of their paths that differ. Defaults to
            ``None``.

    Returns:
        matplotlib.figure.Figure: One axes per panel, titled by its key
        (``'accuracy (top-1 %)'`` for the last).

    Raises:
        FileNotFoundError: No run holds training records (the message
            lists the directories searched).
    """
    if isinstance(work_dirs, str):
        work_dirs = [work_dirs]
    work_dirs = list(work_dirs)
    if labels is None:
        labels = _run_labels(work_dirs) if work_dirs else []
    if len(labels) != len(work_dirs):
        raise ValueError(f'{len(labels)} labels for {len(work_dirs)} runs')
    runs = []
    for work_dir, label in zip(work_dirs, labels):
        scalars = load_run_scalars(work_dir)
        if scalars['train']:
            runs.append((label, scalars, osp.normpath(work_dir)))
    if not runs:
        raise FileNotFoundError(
            'no training records (<run>/<timestamp>/vis_data/scalars.json '
            'with loss values) in ' + (', '.join(work_dirs) or 'no run'))
    keys = set()
    for _, scalars, _ in runs:
        for r in scalars['train']:
            keys.update(k for k in r if k.startswith('loss'))
    panels = [k for k in LOSS_KEYS if k in keys]
    panels += sorted(keys - set(LOSS_KEYS))
    if any('top1_acc' in r for _, s, _ in runs
           for r in s['train']) or any(s['val'] for _, s, _ in runs):
        panels.append('accuracy')
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = _figure(5.0 * cols, 4.0 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    axes = axes.ravel()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    # one colour per config (run directory name), one line style and
    # validation marker per parent directory (split / seed)
    colors = matplotlib.rcParams['axes.prop_cycle'].by_key()['color']
    styles = ['-', '--', ':', '-.']
    markers = ['o', 's', '^', 'D']
    names = list(dict.fromkeys(osp.basename(d) for _, _, d in runs))
    parents = list(dict.fromkeys(osp.dirname(d) for _, _, d in runs))
    by_epoch = True
    for label, scalars, run_dir in runs:
        color = colors[names.index(osp.basename(run_dir)) % len(colors)]
        variant = parents.index(osp.dirname(run_dir))
        style = styles[variant % len(styles)]
        marker = markers[variant % len(markers)]
        train = scalars['train']
        per_epoch = _iters_per_epoch(train)
        if per_epoch is None:
            by_epoch = False
            xs = [r['iter'] for r in train]
            span = (xs[-1] - xs[0]) / 20 or 1
        else:
            xs = [r['iter'] / per_epoch for r in train]
            span = 1.0
        for ax, key in zip(axes, panels):
            if key != 'accuracy':
                points = [(x, r[key]) for x, r in zip(xs, train) if key in r]
                if points:
                    ax.plot(
                        *zip(*points),
                        color=color,
                        ls=style,
                        lw=1,
                        label=label)
                continue
            points = [(x, 100 * r['top1_acc']) for x, r in zip(xs, train)
                      if 'top1_acc' in r]
            if points:
                x, y = zip(*points)
                ax.plot(
                    x,
                    _trailing_mean(x, y, span),
                    color=color,
                    ls=style,
                    lw=1,
                    alpha=0.8,
                    label=f'{label} train (running mean)')
            val = [(r['step'], 100 * r['acc/top1']) for r in scalars['val']
                   if 'acc/top1' in r]
            if val:
                ax.plot(
                    *zip(*val),
                    color=color,
                    marker=marker,
                    ls=style,
                    lw=0.5,
                    label=f'{label} val')
    for ax, key in zip(axes, panels):
        ax.set_title(
            'accuracy (top-1 %)' if key == 'accuracy' else key, fontsize=10)
        ax.set_xlabel('epoch' if by_epoch else 'iteration')
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def find_run_dirs(work_dir: str) -> List[str]:
    """Run directories under ``work_dir``: those holding a
    ``<timestamp>/vis_data/scalars.json``, sorted.
    """
    pattern = osp.join(glob.escape(work_dir), '**', 'vis_data', 'scalars.json')
    found = glob.glob(pattern, recursive=True)
    return sorted({osp.dirname(osp.dirname(osp.dirname(p))) for p in found})


def plot_job_results(work_dir: str,
                     summary: Sequence[dict],
                     paper: Optional[Dict[str, float]] = None,
                     note: Optional[str] = None,
                     table_name: str = 'table1') -> List[str]:
    """The main job's PNGs: ``table1.png`` and ``training_curves.png``.

    Args:
        work_dir (str): The job's work directory; the runs are found
            under it (:func:`find_run_dirs`), e.g.
            ``split1_seed0/<config name>/``.
        summary (Sequence[dict]): :func:`tsdistill.jobs.table1.summarize`'s
            rows.
        paper (dict, optional): See :func:`table1_figure`. Defaults to
            ``None``.
        note (str, optional): See :func:`table1_figure`, e.g. the data
            the measured numbers are on. Defaults to ``None``.
        table_name (str): Basename of the bar chart (the job's
            ``table_name``); the curves are ``training_curves.png`` for
            ``'table1'``, ``<table_name>_training_curves.png`` otherwise.
            Defaults to ``'table1'``.

    Returns:
        list[str]: The PNGs written. Without training logs (only test-only
        rows) there are no curves; a log line says so.
    """
    curves = ('training_curves.png' if table_name == 'table1' else
              f'{table_name}_training_curves.png')
    written = [
        plot_table1(
            summary,
            osp.join(work_dir, f'{table_name}.png'),
            paper=paper,
            note=note)
    ]
    try:
        written.append(
            plot_training_curves(
                find_run_dirs(work_dir), osp.join(work_dir, curves)))
    except FileNotFoundError as error:
        print_log(f'no training curves: {error}', 'current')
    print_log('wrote ' + ', '.join(written), 'current')
    return written


__all__ = [
    'paper_table1', 'plot_table1', 'table1_figure', 'read_scalars',
    'load_run_scalars', 'plot_training_curves', 'training_curves_figure',
    'find_run_dirs', 'plot_job_results'
]
