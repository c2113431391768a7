# Copyright (c) tsdistill authors. All rights reserved.
"""The main job: the paper's Table 1, trained and tested in one call.

Rows (the paper's Table 1): R3D-18 on RGB, the TV-L1 teacher (M1 + M2),
two-stream late fusion of those two, and the distilled student (M3) trained
against the frozen teacher. Each is an ordinary mmaction2 config run through
mmengine's ``Runner``; the student's teacher checkpoint and the two-stream
checkpoints are the earlier rows' work directories.

Accuracy protocol: video-level, one centre clip and one centre crop per test
video (the test pipeline of the dataset config), top-1 and mean class
accuracy from mmaction2's ``AccMetric``. ``ms/clip`` is the model's forward
time for one test clip (batch 1, after warm-up, median of repeats, data
loading excluded) on this machine.
"""
import copy
import hashlib
import json
import os
import os.path as osp
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from ..data_tools.hmdb51_annotations import annotate_data, set_annotations
from ..data_tools.synthetic_motion import (embedded_data_root,
                                           parse_class_name,
                                           prepare_embedded_data)
from ..engine.mmaction_tools import add_checkpoint_check
from ..utils.file_digest import file_digest
from ..utils.json_report import write_json_report
from ..utils.markdown import markdown_table
from ..utils.paths import MIM_ROOT, shipped_path
from ..utils.timing import interleaved_times
from .results_table import mean_std
from .training_budget import SCHEDULES, clips_factor, scale_epochs


@dataclass(frozen=True)
class Table1Row:
    """One row of Table 1 and the configs that produce it."""
    key: str
    method: str
    test_input: str
    #: ``(batch, schedule, row)`` of its CPU demo config, e.g. ``('1xb16',
    #: '120e', 'rgb')``
    demo_config: Tuple[str, str, str]
    hmdb51_config: Optional[str]
    trains: bool = True
    #: run when no ``rows`` are named; the reference rows are not
    default: bool = True


_PAPER = 'recognition/r3d18/r3d18_8xb8-25x1x1-100e_hmdb51-split1-{}.py'
_DEMO = 'demo/r3d18slim_{}-16x1x1-{}_synthetic-motion-{}.py'
#: the rows each row needs in the same run: their checkpoints are its input
ROW_NEEDS = {'two-stream': ('rgb', 'tvl1'), 'distill': ('tvl1', )}
TABLE1_ROWS = (
    Table1Row('rgb', 'R3D-18', 'RGB', ('1xb16', '120e', 'rgb'), 'rgb'),
    Table1Row('tvl1', 'R3D-18 TV-L1 teacher (M1 + M2)', 'RGB -> flow',
              ('1xb16', '120e', 'tvl1'), 'tvl1'),
    Table1Row(
        'two-stream',
        'two-stream (late fusion)',
        'RGB + flow', ('1xb16', '120e', 'two-stream'),
        'two-stream',
        trains=False),
    # the student trains on batches of 8 (docs/results/binding.md)
    Table1Row('distill', 'distilled student (M3)', 'RGB',
              ('1xb8', '120e', 'distill'), 'distill'),
    # not a row of the paper: one network on RGB and M1's flow stacked as
    # channels, what the data allows at the demo's budget when motion must
    # be bound to appearance (the binding mode)
    Table1Row(
        'early-fusion',
        'early fusion (reference)',
        'RGB + flow', ('1xb16', '120e', 'early-fusion'),
        None,
        default=False),
)


@dataclass
class Table1Result:
    """Measured numbers of one row in one run (split, seed)."""
    key: str
    method: str
    test_input: str
    top1: float
    mean_class_acc: float
    ms_per_clip: float
    train_minutes: float
    config: str
    work_dir: str
    split: int = 1
    seed: int = 0
    reused: bool = False
    #: content digest of every file the run read (:func:`run_inputs`)
    inputs: Dict[str, str] = field(default_factory=dict)
    #: top-1 % per class name and per ``attribute_<name>``
    #: (:class:`tsdistill.evaluation.PerClassAccuracy`)
    per_class: Dict[str, float] = field(default_factory=dict)


def _set_num_classes(model: dict, num_classes: int) -> None:
    """Give every classification head of a model config ``num_classes``."""
    for stream in ('rgb_stream', 'flow_stream'):
        if stream in model:
            _set_num_classes(model[stream], num_classes)
    if 'cls_head' in model:
        model['cls_head']['num_classes'] = num_classes


def time_per_clip(model: torch.nn.Module,
                  data_batch: dict,
                  warmup: int = 2,
                  repeats: int = 7) -> float:
    """Median milliseconds of ``model.test_step`` on one clip.

    Args:
        model (nn.Module): An mmaction2 recognizer.
        data_batch (dict): A collated batch of ONE test sample.
        warmup (int): Untimed runs first. Defaults to ``2``.
        repeats (int): Timed runs. Defaults to ``7``.

    Returns:
        float: Median ms per clip.
    """
    model.eval()
    with torch.no_grad():
        times = interleaved_times(
            {'clip': lambda: model.test_step(data_batch)}, warmup,
            repeats)['clip']
    times.sort()
    return 1000 * times[len(times) // 2]


def _one_test_clip(runner: Runner) -> dict:
    """A collated batch holding the first test sample only."""
    loader = runner.test_dataloader
    sample = loader.dataset[0]
    return loader.collate_fn([sample])


def _config_digest(cfg: Config) -> str:
    """Digest of a resolved config, without where it writes."""
    text = cfg.pretty_text.replace(cfg.work_dir, '<work_dir>')
    return hashlib.sha1(text.encode()).hexdigest()


def run_inputs(cfg: Config) -> Dict[str, str]:
    """Content digests of what a resolved row config reads.

    A finished run is reused only when these and its config are unchanged
    (:func:`run_row`): the annotation list of every dataloader, the
    checkpoints it loads (``load_from``, the teacher's ``teacher_ckpt``
    for M3, the streams' ``rgb_ckpt`` / ``flow_ckpt`` for two-stream
    fusion) and, for the videos the lists name, their sizes and
    modification times (a regenerated dataset has new ones).

    Args:
        cfg (Config): The row's resolved config.

    Returns:
        dict: ``{what: digest}``, e.g. ``'train_dataloader.ann_file'``,
        ``'model.teacher_ckpt'``, ``'videos'``.
    """
    inputs = {}
    videos = hashlib.sha256()
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if not cfg.get(loader):
            continue
        dataset = cfg[loader]['dataset']
        ann_file = dataset['ann_file']
        inputs[f'{loader}.ann_file'] = file_digest(ann_file)
        prefix = (dataset.get('data_prefix') or {}).get('video', '')
        with open(ann_file) as f:
            for line in f:
                name = (line.split() or [''])[0]
                path = osp.join(prefix, name)
                if name and osp.isfile(path):
                    stat = os.stat(path)
                    videos.update(
                        f'{name} {stat.st_size} {stat.st_mtime_ns}\n'.encode())
    inputs['videos'] = videos.hexdigest()
    checkpoints = {'load_from': cfg.get('load_from')}
    for key in ('teacher_ckpt', 'rgb_ckpt', 'flow_ckpt'):
        checkpoints[f'model.{key}'] = cfg.model.get(key)
    for key, path in checkpoints.items():
        if path and osp.isfile(path):
            inputs[key] = file_digest(path)
        elif path:
            inputs[key] = f'not a file: {path}'
    return inputs


def _reuse_verdict(stamp: dict, digest: str, inputs: dict) -> List[str]:
    """Why a finished run's stamp does not match today's row; ``[]``: it
    does."""
    why = []
    if stamp.get('config_digest') != digest:
        why.append('the resolved config changed')
    before = stamp.get('inputs', {})
    for key in sorted(set(before) | set(inputs)):
        if before.get(key) != inputs.get(key):
            why.append(f'{key} changed')
    return why


def run_row(row: Table1Row,
            config: str,
            work_dir: str,
            data_root: str,
            ann_dir: str,
            split: int,
            cfg_options: Optional[dict],
            checkpoints: Dict[str, Any],
            seed: int = 0,
            num_classes: Optional[int] = None,
            reuse: bool = True,
            classes: Optional[Sequence[str]] = None,
            epoch_factor: float = 1.0) -> Table1Result:
    """Train (if the row trains) and test one row; returns its numbers.

    ``checkpoints`` maps the keys of rows run earlier in the same run to
    their checkpoints (and ``'rgb_model'`` / ``'tvl1_model'`` to the RGB
    network's / the teacher's model config, which the two-stream and
    distilled rows build their streams and teacher from);
    a trained row adds its own. With ``reuse``, a row whose work dir holds
    the final checkpoint of the same resolved config is tested, not
    trained again (an interrupted job loses no finished row), if what it
    read is unchanged too (:func:`run_inputs`); otherwise it is trained
    again and the log says why. With
    ``classes`` (names in label order) the test also reports the accuracy
    per class and, for the mixed-cue names ``<colour>_<motion>``, per cue.
    A training row's epoch counts are scaled by ``epoch_factor``
    (:func:`~tsdistill.jobs.training_budget.scale_epochs`), after
    ``cfg_options``.
    """
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    set_annotations(cfg, data_root, ann_dir, split)
    cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)
    if num_classes is not None:
        _set_num_classes(cfg.model, num_classes)
    if row.key == 'distill':
        cfg.model.teacher_ckpt = checkpoints['tvl1']
        # the very model the teacher row trained
        cfg.model.teacher_cfg = copy.deepcopy(checkpoints['tvl1_model'])
    if row.key == 'two-stream':
        # the very models the RGB and teacher rows trained (another config
        # of a row, e.g. a teacher that reads other flow, changes the
        # stream too, not only its weights)
        cfg.model.rgb_stream = copy.deepcopy(checkpoints['rgb_model'])
        cfg.model.flow_stream = copy.deepcopy(checkpoints['tvl1_model'])
        cfg.model.rgb_ckpt = checkpoints['rgb']
        cfg.model.flow_ckpt = checkpoints['tvl1']
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if row.trains:
        scaled = scale_epochs(cfg, epoch_factor)
        if scaled:
            print_log(
                'the budget in clips: ' +
                ', '.join(f'{k} {a} -> {b}' for k, (a, b) in scaled.items()),
                'current')
    else:
        for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                    'param_scheduler', 'val_dataloader', 'val_cfg',
                    'val_evaluator'):
            cfg[key] = None
    if row.key in ('rgb', 'tvl1'):
        checkpoints[f'{row.key}_model'] = copy.deepcopy(cfg.model)
    print_log(
        f'===== Table 1 row "{row.method}" (split {split}, seed {seed}): '
        f'{config}', 'current')
    stamp_path = osp.join(work_dir, 'table1_row.json')
    digest = _config_digest(cfg)
    inputs = run_inputs(cfg)
    reused = False
    train_minutes = 0.0
    if row.trains:
        final = osp.join(work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')
        if reuse and osp.isfile(final) and osp.isfile(stamp_path):
            with open(stamp_path) as f:
                stamp = json.load(f)
            why = _reuse_verdict(stamp, digest, inputs)
            if not why:
                reused = True
                train_minutes = stamp['train_minutes']
                cfg.load_from = final
                print_log(f'reusing the finished run in {work_dir}', 'current')
            else:
                print_log(
                    f'training again, not reusing the run in {work_dir}: ' +
                    '; '.join(why), 'current')
    if classes:
        # after the digest: a test-only addition, the same trained run
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [
            dict(
                type='PerClassAccuracy',
                classes=list(classes),
                attributes=class_attributes(classes))
        ]
    # after the digest, as in tools/train.py: checkpoints it loads are read
    # and named before the Runner loads them
    runner = Runner.from_cfg(add_checkpoint_check(cfg))
    if row.trains and not reused:
        start = time.perf_counter()
        runner.train()
        train_minutes = (time.perf_counter() - start) / 60
        with open(stamp_path, 'w') as f:
            json.dump(
                dict(
                    config_digest=digest,
                    inputs=inputs,
                    train_minutes=train_minutes), f)
    if row.trains:
        checkpoints[row.key] = final
    metrics = runner.test()
    ms = time_per_clip(runner.model, _one_test_clip(runner))
    return Table1Result(
        key=row.key,
        method=row.method,
        test_input=row.test_input,
        top1=100 * float(metrics['acc/top1']),
        mean_class_acc=100 * float(metrics['acc/mean1']),
        ms_per_clip=ms,
        train_minutes=train_minutes,
        config=_config_name(config),
        work_dir=work_dir,
        split=split,
        seed=seed,
        reused=reused,
        inputs=inputs,
        per_class={
            k.split('/', 1)[1]: 100 * float(v)
            for k, v in metrics.items() if k.startswith('per_class/')
        })


def _config_name(config: str) -> str:
    """A shipped config as ``configs/...``, any other as given."""
    path = osp.abspath(config)
    if path.startswith(MIM_ROOT + os.sep):
        return osp.relpath(path, MIM_ROOT)
    return config


def class_attributes(classes: Sequence[str]) -> Dict[str, List[str]]:
    """The cues of the embedded data's class names, else nothing.

    Returns:
        dict: ``{'colour': [...], 'motion': [...]}`` (one value per class)
        when every name is ``<colour>_<motion>`` of the mixed-cue mode or
        ``<colour>-moves_<motion>`` of the binding mode (the colour that
        moves), else ``{}``.
    """
    parsed = [parse_class_name(name) for name in classes]
    if not parsed or any(colour is None for colour, _ in parsed):
        return {}
    return dict(
        colour=[colour for colour, _ in parsed],
        motion=[motion for _, motion in parsed])


def summarize(results: Sequence[Table1Result]) -> List[dict]:
    """Mean and std of every row over its runs (splits x seeds).

    Returns:
        list[dict]: One per row key, in first-seen order: ``key``,
        ``method``, ``test_input``, ``runs`` (n), ``top1`` / ``top1_std``,
        ``mean_class_acc`` / ``mean_class_acc_std``, ``ms_per_clip``
        (median), ``train_minutes`` (mean), ``per_run`` (the top-1 of each
        run as ``{'split': s, 'seed': k, 'top1': x}``), ``per_class``
        (each :attr:`Table1Result.per_class` key's mean over the runs
        that report it).
    """
    rows: Dict[str, List[Table1Result]] = {}
    for r in results:
        rows.setdefault(r.key, []).append(r)
    summary = []
    for key, runs in rows.items():
        top1, top1_std = mean_std([r.top1 for r in runs])
        mca, mca_std = mean_std([r.mean_class_acc for r in runs])
        ms = sorted(r.ms_per_clip for r in runs)[len(runs) // 2]
        summary.append(
            dict(
                key=key,
                method=runs[0].method,
                test_input=runs[0].test_input,
                runs=len(runs),
                top1=top1,
                top1_std=top1_std,
                mean_class_acc=mca,
                mean_class_acc_std=mca_std,
                ms_per_clip=ms,
                train_minutes=mean_std([r.train_minutes for r in runs])[0],
                per_run=[
                    dict(split=r.split, seed=r.seed, top1=r.top1) for r in runs
                ],
                per_class=_mean_per_class(runs)))
    return summary


def _mean_per_class(runs: Sequence[Table1Result]) -> Dict[str, float]:
    values: Dict[str, List[float]] = {}
    for run in runs:
        for name, acc in run.per_class.items():
            values.setdefault(name, []).append(acc)
    return {name: mean_std(accs)[0] for name, accs in values.items()}


def format_per_class(summary: Sequence[dict]) -> str:
    """Top-1 % per class (and per cue) of every row, mean over runs.

    Returns:
        str: A Markdown table, one column per row of Table 1; ``''`` when
        no row reports per-class accuracy.
    """
    rows = [r for r in summary if r.get('per_class')]
    if not rows:
        return ''
    names = []
    for r in rows:
        names += [n for n in r['per_class'] if n not in names]
    # the cues first, then the classes in label order
    names.sort(key=lambda n: not n.startswith('attribute_'))
    table = []
    for name in names:
        label = (f'**{name[len("attribute_"):]} right** (any class)'
                 if name.startswith('attribute_') else name)
        table.append([label] + [
            f'{r["per_class"][name]:.1f}' if name in r['per_class'] else '-'
            for r in rows
        ])
    return markdown_table(['class'] + [r['method'] for r in rows], table)


def format_markdown(results: Sequence[Table1Result], protocol: str) -> str:
    """Table 1 as Markdown: mean +- std over runs, then every run's top-1.
    """
    summary = summarize(results)
    lines = [
        markdown_table([
            'method', 'test input', 'top-1 %', 'mean class acc %', 'runs',
            'test ms/clip', 'train min'
        ], [[
            r['method'], r['test_input'],
            f'{r["top1"]:.1f} ± {r["top1_std"]:.1f}',
            f'{r["mean_class_acc"]:.1f} ± {r["mean_class_acc_std"]:.1f}',
            str(r['runs']), f'{r["ms_per_clip"]:.1f}',
            f'{r["train_minutes"]:.1f}'
        ] for r in summary])
    ]
    runs = sorted({(r.split, r.seed) for r in results})
    if len(runs) > 1:
        table = []
        for r in summary:
            by_run = {(p['split'], p['seed']): p['top1'] for p in r['per_run']}
            table.append([r['method']] + [
                f'{by_run[run]:.1f}' if run in by_run else '-' for run in runs
            ])
        lines += [
            '',
            markdown_table(['method'] +
                           [f'split {s} seed {k}' for s, k in runs], table)
        ]
    per_class = format_per_class(summary)
    if per_class:
        lines += ['', 'Top-1 % per class, mean over the runs:', '', per_class]
    return '\n'.join(lines) + f'\n\n{protocol}\n'


def row_config(row: Table1Row, configs: str) -> str:
    """The shipped config of a row for ``configs='demo'|'paper'``."""
    if configs == 'demo':
        return shipped_path('configs', _DEMO.format(*row.demo_config))
    if configs == 'paper':
        if row.hmdb51_config is None:
            raise ValueError(f'row {row.key!r} has no paper-sized config: '
                             "use configs='demo' or row_configs")
        return shipped_path('configs', _PAPER.format(row.hmdb51_config))
    raise ValueError(f"configs must be 'demo' or 'paper', got {configs!r}")


def check_rows(rows: Sequence[str]) -> None:
    """Refuse unknown rows and rows without the rows they read.

    Raises:
        ValueError: Naming the row and what is missing: two-stream fusion
            needs the RGB and teacher rows, the student M3 the teacher row
            (M1 + M2), in the same run (a finished run of them is reused,
            not trained again).
    """
    known = [row.key for row in TABLE1_ROWS]
    unknown = [key for key in rows if key not in known]
    if unknown:
        raise ValueError(f'unknown rows {unknown}; the rows are {known}')
    for key in rows:
        missing = [need for need in ROW_NEEDS.get(key, ()) if need not in rows]
        if missing:
            raise ValueError(
                f'row {key!r} reads the checkpoints of rows {missing}: '
                f'run them too, e.g. --rows {" ".join(missing)} {key} (a '
                'finished run of them is reused, not trained again)')


def run_table1(data_root: Optional[str] = None,
               work_dir: str = 'work_dirs/table1',
               splits: Sequence[int] = (1, ),
               seeds: Sequence[int] = (0, ),
               videos_per_class: int = 40,
               data_seed: int = 0,
               rows: Optional[Sequence[str]] = None,
               cfg_options: Optional[dict] = None,
               row_cfg_options: Optional[Dict[str, dict]] = None,
               visualize: bool = True,
               mode: str = 'binding',
               configs: Optional[str] = None,
               row_configs: Optional[Dict[str, str]] = None,
               table_name: str = 'table1',
               reuse: bool = True,
               note: Optional[str] = None,
               schedule: str = 'epochs') -> List[Table1Result]:
    """Train and test the rows of Table 1; write JSON, Markdown and PNGs.

    Every (split, seed) pair is one run of every row, in
    ``<work_dir>/split<s>_seed<k>/<config name>``; the table gives each
    row's mean +- sample std over the runs, and the JSON every run's
    numbers. HMDB51's standard figure is the mean over its 3 splits.
    Besides ``<table_name>.{md,json}`` it writes a bar chart of the table
    beside the paper's numbers and the training curves of every run
    (:func:`tsdistill.jobs.plots.plot_job_results`).

    Args:
        data_root (str, optional): Data in HMDB51's layout
            (``videos/<class>/*.avi`` and ``testTrainMulti_7030_splits/``):
            a real HMDB51 download or one's own data. ``None``: generate
            the embedded dataset under ``data/synthetic_<mode>``. Defaults
            to ``None``.
        work_dir (str): Where runs and tables go. Defaults to
            ``'work_dirs/table1'``.
        splits (Sequence[int]): HMDB51 splits. Defaults to ``(1, )``.
        seeds (Sequence[int]): Training seeds (``randomness.seed``).
            Defaults to ``(0, )``.
        videos_per_class (int): Size of the embedded dataset. Defaults to
            ``40``.
        data_seed (int): Seed of the embedded dataset. Defaults to ``0``.
        rows (Sequence[str], optional): Keys of :data:`TABLE1_ROWS` to run
            (``two-stream`` needs ``rgb`` and ``tvl1``, ``distill`` needs
            ``tvl1``). Defaults to the paper's four; the reference row
            ``early-fusion`` runs when named.
        cfg_options (dict, optional): Overrides for every config (e.g.
            ``{'train_cfg.max_epochs': 2}``). Defaults to ``None``.
        row_cfg_options (dict, optional): Overrides for one row's config,
            merged after ``cfg_options``, e.g. ``{'distill':
            {'model.loss_schedule.distill_only': 1}}``. Defaults to
            ``None``.
        visualize (bool): Write a flow visualisation PNG. Defaults to
            ``True``.
        mode (str): Embedded dataset mode, ``'mixed'`` (colour x motion),
            ``'motion'`` (motion only) or ``'binding'`` (two colours, one
            moves; :mod:`tsdistill.data_tools.synthetic_motion`): the
            main job's, where late fusion is not the Bayes rule. Defaults
            to ``'binding'``.
        configs (str, optional): ``'demo'`` (the CPU configs of
            ``configs/demo``) or ``'paper'`` (``configs/recognition``, a
            GPU job). Defaults to ``'demo'`` for the embedded data,
            ``'paper'`` with ``data_root``. The number of classes is read
            from the data either way.
        row_configs (dict, optional): Another config for some rows, e.g.
            ``{'distill': 'my_student.py'}``. Defaults to ``None``.
        table_name (str): Basename of the ``.md`` / ``.json`` written to
            ``work_dir``. Defaults to ``'table1'``.
        reuse (bool): Test, not retrain, rows whose run directory holds the
            final checkpoint of the same resolved config and inputs
            (:func:`run_row`). Defaults to ``True``.
        note (str, optional): A line written above the tables (e.g. that
            this is a smoke run). Defaults to ``None``.
        schedule (str): The training rows' budget: ``'epochs'``, the
            configs' as they are, or ``'clips'``, the demo's epochs scaled
            so that each split's training videos give as many clips (and
            optimizer steps) as the embedded data's
            (:mod:`tsdistill.jobs.training_budget`; the same on the
            embedded data at its default size). Defaults to ``'epochs'``.

    Returns:
        list[Table1Result]: One per row and run, runs in (split, seed)
        order.
    """
    wanted = list(rows or [row.key for row in TABLE1_ROWS if row.default])
    check_rows(wanted)
    row_configs = dict(row_configs or {})
    row_cfg_options = dict(row_cfg_options or {})
    for name, per_row in (('row_configs', row_configs), ('row_cfg_options',
                                                         row_cfg_options)):
        unknown = sorted(set(per_row) - {row.key for row in TABLE1_ROWS})
        if unknown:
            raise ValueError(f'{name} for unknown rows {unknown}')
    if schedule not in SCHEDULES:
        raise ValueError(f'schedule must be one of {SCHEDULES}, got '
                         f'{schedule!r}')
    embedded = data_root is None
    if configs is None:
        configs = 'demo' if embedded else 'paper'
    if schedule == 'clips' and configs != 'demo':
        raise ValueError("schedule='clips' scales the demo configs' epochs "
                         '(chosen on the embedded data); the paper configs '
                         f'keep their own, got configs={configs!r}')
    if embedded:
        data_root = embedded_data_root(mode)
        prepare_embedded_data(data_root, videos_per_class, data_seed, mode)
    videos = osp.join(data_root, 'videos')
    ann_dir = osp.join(data_root, 'annotations')
    summary = annotate_data(data_root, splits)
    print_log(summary.format(), 'current')
    num_classes = len(summary.classes)
    results = []
    start = time.perf_counter()
    for split in splits:
        epoch_factor = 1.0
        if schedule == 'clips':
            epoch_factor = clips_factor(
                summary.counts.get((split, 'train'), 0))
        for seed in seeds:
            run_dir = osp.join(work_dir, f'split{split}_seed{seed}')
            checkpoints: Dict[str, Any] = {}
            for row in TABLE1_ROWS:
                if row.key not in wanted:
                    continue
                config = row_configs.get(row.key) or row_config(row, configs)
                name = osp.splitext(osp.basename(config))[0]
                results.append(
                    run_row(row, config, osp.join(run_dir, name), videos,
                            ann_dir, split, {
                                **(cfg_options or {}),
                                **row_cfg_options.get(row.key, {})
                            }, checkpoints, seed, num_classes, reuse,
                            summary.classes, epoch_factor))
    minutes = (time.perf_counter() - start) / 60
    protocol = (
        'Video-level accuracy on the test videos of split(s) {splits} '
        '({n} videos per split, {c} classes, chance {chance:.1f} %): one '
        'centre clip, one centre crop per video; mean ± sample std over '
        'the runs (splits x training seeds {seeds}). ms/clip: median '
        'forward time of one test clip, batch 1, {threads} CPU threads, '
        'data loading excluded. Data: {data}. This job: {minutes:.1f} min.'
    ).format(
        splits=', '.join(map(str, splits)),
        n='/'.join(str(summary.counts.get((s, 'val'), 0)) for s in splits),
        c=num_classes,
        chance=100 / max(num_classes, 1),
        seeds=', '.join(map(str, seeds)),
        threads=torch.get_num_threads(),
        minutes=minutes,
        data=f'embedded {mode} dataset (tools/data/synthetic, seed '
        f'{data_seed})' if embedded else data_root,
    ) + f' Configs: {configs}.'
    if schedule == 'clips':
        protocol += (" Budget in clips: the configs' epochs scaled to the "
                     "embedded data's training clips (the log gives each "
                     'key).')
    os.makedirs(work_dir, exist_ok=True)
    markdown = format_markdown(results, protocol)
    if note:
        markdown = f'{note}\n\n{markdown}'
    with open(osp.join(work_dir, f'{table_name}.md'), 'w') as f:
        f.write(markdown)
    write_json_report(
        osp.join(work_dir, f'{table_name}.json'),
        dict(
            note=note,
            protocol=protocol,
            summary=summarize(results),
            rows=[asdict(r) for r in results]))
    print_log('\n' + markdown, 'current')
    from .plots import plot_job_results
    plot_job_results(
        work_dir,
        summarize(results),
        table_name=table_name,
        note='measured: ' +
        (f'embedded {mode} dataset' if embedded else data_root) +
        f', split(s) {", ".join(map(str, splits))}')
    if visualize:
        _visualize_one(videos, ann_dir, splits[0], work_dir)
    return results


#: the quick check's banner: what it is and what it is not
QUICK_BANNER = (
    'QUICK CHECK: a smoke run of all four rows on a small slice of the '
    'embedded data ({videos} videos per class, {epochs} epochs): it shows '
    'that the job runs end to end on this machine. Its accuracies are NOT '
    'the result; the result is the main job: python tools/run_table1.py')


def quick_check_options(epochs: int) -> dict:
    """``cfg_options`` of the quick check: ``epochs`` epochs, a 1-epoch
    warm-up then a cosine, validated and checkpointed at the end only."""
    return {
        'train_cfg.max_epochs':
        epochs,
        'train_cfg.val_interval':
        epochs,
        'param_scheduler': [
            dict(
                type='LinearLR',
                start_factor=0.1,
                by_epoch=True,
                begin=0,
                end=1,
                convert_to_iter_based=True),
            dict(
                type='CosineAnnealingLR',
                T_max=max(epochs - 1, 1),
                by_epoch=True,
                begin=1,
                end=max(epochs, 2),
                convert_to_iter_based=True)
        ],
        'default_hooks.checkpoint.interval':
        epochs,
    }


def run_quick_check(work_dir: str = 'work_dirs/quick',
                    data_root: Optional[str] = None,
                    videos_per_class: int = 8,
                    epochs: int = 6,
                    mode: str = 'binding',
                    cfg_options: Optional[dict] = None,
                    **kwargs) -> List[Table1Result]:
    """All four rows of Table 1 in minutes: a smoke run, not the result.

    The demo configs on a small slice of the embedded data of ``mode``
    (its own folder, so the main job's data is left alone), trained for a
    few epochs; the table is printed and written between two banners that
    say it is a smoke run (:data:`QUICK_BANNER`).

    Args:
        work_dir (str): Where its runs and tables go. Defaults to
            ``'work_dirs/quick'``.
        data_root (str, optional): Where its slice of the embedded data
            goes. Defaults to ``'data/synthetic_<mode>_quick'``.
        videos_per_class (int): Size of the slice. Defaults to ``8``.
        epochs (int): Training epochs of every trained row. Defaults to
            ``6``.
        mode (str): Mode of the embedded data, as :func:`run_table1`'s.
            Defaults to ``'binding'``, the main job's.
        cfg_options (dict, optional): More overrides, merged after the
            quick check's own. Defaults to ``None``.
        **kwargs: Passed to :func:`run_table1` (e.g. ``seeds``).

    Returns:
        list[Table1Result]: As :func:`run_table1`.
    """
    banner = QUICK_BANNER.format(videos=videos_per_class, epochs=epochs)
    print_log(banner, 'current')
    if data_root is None:
        data_root = embedded_data_root(mode, quick=True)
    prepare_embedded_data(data_root, videos_per_class, 0, mode)
    options = quick_check_options(epochs)
    options.update(cfg_options or {})
    kwargs.setdefault('table_name', 'quick_check')
    # M3's first stage without CE shortened to 1 epoch (the demo's: 10 of
    # 120), so that M3 trains with CE too
    kwargs.setdefault('row_cfg_options',
                      {'distill': {
                          'model.loss_schedule.distill_only': 1
                      }})
    results = run_table1(
        data_root,
        work_dir,
        configs='demo',
        cfg_options=options,
        note=banner,
        **kwargs)
    print_log(banner, 'current')
    return results


def _visualize_one(videos: str, ann_dir: str, split: int,
                   work_dir: str) -> None:
    """Fig. 5 style PNG (frames beside their flow) of one test video."""
    from .visualize_flow import visualize_video_flow
    with open(osp.join(ann_dir, f'hmdb51_val_split_{split}_videos.txt')) as f:
        first = f.readline().split()[0]
    out = osp.join(work_dir, 'flow_visualization.png')
    visualize_video_flow(osp.join(videos, first), out)
    print_log(f'flow visualisation of {first}: {out}', 'current')
