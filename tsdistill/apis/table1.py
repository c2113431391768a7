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
import json
import os
import os.path as osp
import time
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@dataclass(frozen=True)
class Table1Row:
    """One row of Table 1 and the configs that produce it."""
    key: str
    method: str
    test_input: str
    demo_config: Tuple[str, str]
    hmdb51_config: str
    trains: bool = True


_PAPER = 'configs/recognition/r3d18/r3d18_8xb8-25x1x1-100e_hmdb51-split1-{}.py'
_DEMO = 'configs/demo/r3d18slim_1xb16-16x1x1-{}_synthetic-motion-{}.py'
TABLE1_ROWS = (
    Table1Row('rgb', 'R3D-18', 'RGB', ('60e', 'rgb'), 'rgb'),
    Table1Row('tvl1', 'R3D-18 TV-L1 teacher (M1 + M2)', 'RGB -> flow',
              ('20e', 'tvl1'), 'tvl1'),
    Table1Row(
        'two-stream',
        'two-stream (late fusion)',
        'RGB + flow', ('20e', 'two-stream'),
        'two-stream',
        trains=False),
    Table1Row('distill', 'distilled student (M3)', 'RGB', ('60e', 'distill'),
              'distill'),
)


@dataclass
class Table1Result:
    """Measured numbers of one row."""
    key: str
    method: str
    test_input: str
    top1: float
    mean_class_acc: float
    ms_per_clip: float
    train_minutes: float
    config: str
    work_dir: str


def _set_annotations(cfg: Config, data_root: str, ann_dir: str,
                     split: int) -> None:
    """Point every dataloader of ``cfg`` at one split of the data."""
    names = dict(
        train_dataloader=f'hmdb51_train_split_{split}_videos.txt',
        val_dataloader=f'hmdb51_val_split_{split}_videos.txt',
        test_dataloader=f'hmdb51_val_split_{split}_videos.txt')
    for loader, ann in names.items():
        if cfg.get(loader) is None:
            continue
        dataset = cfg[loader]['dataset']
        dataset['ann_file'] = osp.join(ann_dir, ann)
        dataset['data_prefix'] = dict(video=data_root)


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
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            start = time.perf_counter()
            model.test_step(data_batch)
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


def _one_test_clip(runner: Runner) -> dict:
    """A collated batch holding the first test sample only."""
    loader = runner.test_dataloader
    sample = loader.dataset[0]
    return loader.collate_fn([sample])


def run_row(row: Table1Row, config: str, work_dir: str, data_root: str,
            ann_dir: str, split: int, cfg_options: Optional[dict],
            checkpoints: Dict[str, str]) -> Table1Result:
    """Train (if the row trains) and test one row; returns its numbers."""
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    _set_annotations(cfg, data_root, ann_dir, split)
    if row.key == 'distill':
        cfg.model.teacher_ckpt = checkpoints['tvl1']
        teacher_cfg = cfg.model.teacher_cfg
        if isinstance(teacher_cfg, str) and not osp.isabs(teacher_cfg):
            # configs name it relative to the repository
            cfg.model.teacher_cfg = osp.join(REPO_ROOT, teacher_cfg)
    if row.key == 'two-stream':
        cfg.model.rgb_ckpt = checkpoints['rgb']
        cfg.model.flow_ckpt = checkpoints['tvl1']
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if not row.trains:
        for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                    'param_scheduler', 'val_dataloader', 'val_cfg',
                    'val_evaluator'):
            cfg[key] = None
    print_log(f'===== Table 1 row "{row.method}": {config}', 'current')
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    if row.trains:
        runner.train()
        checkpoints[row.key] = osp.join(work_dir,
                                        f'epoch_{runner.max_epochs}.pth')
    train_minutes = (time.perf_counter() - start) / 60
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
        config=osp.relpath(config, REPO_ROOT),
        work_dir=work_dir)


def format_markdown(results: Sequence[Table1Result], protocol: str) -> str:
    """Table 1 as Markdown."""
    lines = [
        '| method | test input | top-1 % | mean class acc % | test ms/clip '
        '| train min |', '|---|---|---|---|---|---|'
    ]
    for r in results:
        lines.append(f'| {r.method} | {r.test_input} | {r.top1:.1f} | '
                     f'{r.mean_class_acc:.1f} | {r.ms_per_clip:.1f} | '
                     f'{r.train_minutes:.1f} |')
    return '\n'.join(lines) + f'\n\n{protocol}\n'


def prepare_embedded_data(data_root: str, videos_per_class: int,
                          seed: int) -> None:
    """Generate the embedded dataset once (a stamp file records how)."""
    from tsdistill.datasets.synthetic_motion import generate_motion_dataset
    stamp = osp.join(data_root, '.generated')
    setting = f'videos_per_class={videos_per_class} seed={seed}\n'
    if osp.isfile(stamp) and open(stamp).read() == setting:
        print_log(f'embedded dataset already in {data_root}', 'current')
        return
    print_log(f'generating the embedded dataset in {data_root}', 'current')
    generate_motion_dataset(
        data_root, videos_per_class=videos_per_class, seed=seed, progress=True)
    with open(stamp, 'w') as f:
        f.write(setting)


def run_table1(data_root: Optional[str] = None,
               work_dir: str = 'work_dirs/table1',
               split: int = 1,
               videos_per_class: int = 40,
               seed: int = 0,
               rows: Optional[Sequence[str]] = None,
               cfg_options: Optional[dict] = None,
               visualize: bool = True) -> List[Table1Result]:
    """Train and test the rows of Table 1; write JSON, Markdown and a PNG.

    Args:
        data_root (str, optional): A real HMDB51 download in its layout
            (``videos/<class>/*.avi`` and ``testTrainMulti_7030_splits/``):
            runs the paper-sized configs. ``None``: generate the embedded
            dataset under ``data/synthetic_motion`` and run the CPU demo
            configs. Defaults to ``None``.
        work_dir (str): Where runs and tables go. Defaults to
            ``'work_dirs/table1'``.
        split (int): HMDB51 split. Defaults to ``1``.
        videos_per_class (int): Size of the embedded dataset. Defaults to
            ``40``.
        seed (int): Seed of the embedded dataset. Defaults to ``0``.
        rows (Sequence[str], optional): Keys of :data:`TABLE1_ROWS` to run,
            in order (``two-stream`` needs ``rgb`` and ``tvl1``,
            ``distill`` needs ``tvl1``). Defaults to all.
        cfg_options (dict, optional): Overrides for every config (e.g.
            ``{'train_cfg.max_epochs': 2}``). Defaults to ``None``.
        visualize (bool): Write a flow visualisation PNG. Defaults to
            ``True``.

    Returns:
        list[Table1Result]: One per row run.
    """
    from tsdistill.datasets.hmdb51 import prepare_annotations
    embedded = data_root is None
    if embedded:
        data_root = osp.join('data', 'synthetic_motion')
        prepare_embedded_data(data_root, videos_per_class, seed)
    videos = osp.join(data_root, 'videos')
    ann_dir = osp.join(data_root, 'annotations')
    # the same HMDB51 tool as for real data
    summary = prepare_annotations(
        videos,
        osp.join(data_root, 'testTrainMulti_7030_splits'),
        ann_dir,
        splits=(split, ))
    print_log(summary.format(), 'current')
    wanted = list(rows or [row.key for row in TABLE1_ROWS])
    checkpoints: Dict[str, str] = {}
    results = []
    for row in TABLE1_ROWS:
        if row.key not in wanted:
            continue
        if embedded:
            name = _DEMO.format(*row.demo_config)
        else:
            name = _PAPER.format(row.hmdb51_config)
        config = osp.join(REPO_ROOT, name)
        run_dir = osp.join(work_dir, osp.splitext(osp.basename(name))[0])
        results.append(
            run_row(row, config, run_dir, videos, ann_dir, split, cfg_options,
                    checkpoints))
    protocol = (
        'Video-level accuracy on split {split} test videos ({n} videos): one '
        'centre clip, one centre crop per video. ms/clip: median forward '
        'time of one test clip, batch 1, {threads} CPU threads, data loading '
        'excluded. Data: {data}.').format(
            split=split,
            n=summary.counts.get((split, 'val'), 0),
            threads=torch.get_num_threads(),
            data='embedded synthetic motion dataset (tools/data/synthetic), '
            'CPU demo configs (configs/demo)'
            if embedded else f'HMDB51 at {data_root}, paper-sized configs')
    os.makedirs(work_dir, exist_ok=True)
    markdown = format_markdown(results, protocol)
    with open(osp.join(work_dir, 'table1.md'), 'w') as f:
        f.write(markdown)
    with open(osp.join(work_dir, 'table1.json'), 'w') as f:
        json.dump(
            dict(protocol=protocol, rows=[asdict(r) for r in results]),
            f,
            indent=2)
    print_log('\n' + markdown, 'current')
    if visualize:
        _visualize_one(videos, ann_dir, split, work_dir)
    return results


def _visualize_one(videos: str, ann_dir: str, split: int,
                   work_dir: str) -> None:
    """Fig. 5 style PNG (frames beside their flow) of one test video."""
    from tsdistill.utils.flow_vis import visualize_video_flow
    with open(osp.join(ann_dir, f'hmdb51_val_split_{split}_videos.txt')) as f:
        first = f.readline().split()[0]
    out = osp.join(work_dir, 'flow_visualization.png')
    visualize_video_flow(osp.join(videos, first), out)
    print_log(f'flow visualisation of {first}: {out}', 'current')
