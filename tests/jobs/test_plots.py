# Copyright (c) tsdistill authors. All rights reserved.
"""Table 1 bar chart and training curves from mmengine's scalar logs."""
import json
import os
import os.path as osp

import cv2
import pytest
from _helpers.toy_runner import build_toy_runner
from matplotlib.container import BarContainer, ErrorbarContainer

from tsdistill.jobs.plots import (DPI, PAPER_TABLE1, find_run_dirs,
                                  load_run_scalars, paper_table1,
                                  plot_job_results, plot_table1,
                                  plot_training_curves, read_scalars,
                                  table1_figure, training_curves_figure)

SUMMARY = [
    dict(key='rgb', method='R3D-18', top1=20.0, top1_std=2.0, runs=3),
    dict(
        key='tvl1',
        method='R3D-18 TV-L1 teacher (M1 + M2)',
        top1=60.0,
        top1_std=0.0,
        runs=1),
    dict(key='two-stream', method='two-stream', top1=50.0, top1_std=None),
    dict(
        key='distill',
        method='distilled student (M3)',
        top1=40.0,
        top1_std=4.0,
        runs=3),
    # an ablation variant: no paper number
    dict(key='distill-at', method='student, AT', top1=30.0, top1_std=1.5),
]


def png_size(path):
    """``(width, height)`` of a PNG, checking it is one and not blank."""
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    img = cv2.imread(path)
    assert img is not None and img.std() > 0
    return img.shape[1], img.shape[0]


def test_paper_numbers_come_from_the_metafile(tmp_path, monkeypatch):
    # the shipped configs/recognition/r3d18/metafile.yml, not the fallback
    quoted = dict(PAPER_TABLE1)
    monkeypatch.setattr('tsdistill.jobs.plots.PAPER_TABLE1', {})
    assert paper_table1() == quoted
    monkeypatch.undo()
    ref = tmp_path / 'metafile.yml'
    ref.write_text('\n'.join([
        'Models:',
        '  - Name: a-rgb',
        '    Metadata: {Table 1 Row: rgb}',
        '    Results:',
        '      - {Dataset: HMDB51, Metrics: {Top 1 Accuracy: 1.5}}',
        '  - Name: tsn',  # a model-zoo row: no Table 1 Row
        '    Results:',
        '      - {Dataset: HMDB51, Metrics: {Top 1 Accuracy: 9.0}}',
        '  - Name: a-distill-mars',  # no result
        '    Metadata: {Table 1 Row: distill}',
    ]))
    assert paper_table1(str(ref)) == {'rgb': 1.5}
    # an unreadable or missing metafile: the numbers quoted in the code
    bad = tmp_path / 'bad.yml'
    bad.write_text('Models:\n  - Name: [unclosed\n')
    assert paper_table1(str(bad)) == PAPER_TABLE1
    assert paper_table1(str(tmp_path / 'missing.yml')) == PAPER_TABLE1


def test_table1_bars_std_and_extra_rows(tmp_path):
    fig = table1_figure(SUMMARY, paper=PAPER_TABLE1)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    measured, paper = bars
    # every row measured, the ablation variant too; paper only where known
    assert [b.get_height() for b in measured] == [20, 60, 50, 40, 30]
    assert [b.get_height() for b in paper] == [34.5, 36.5, 46.6, 54.5]
    # paper bars stand beside their row's measured bar
    centres = [b.get_x() + b.get_width() / 2 for b in measured]
    assert [round(b.get_x() + b.get_width() / 2)
            for b in paper] == [round(c) for c in centres[:4]]
    errors = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(errors) == 1
    # the std is drawn (as a vertical segment of 2 std), None means 0
    segments = errors[0].lines[2][0].get_segments()
    lengths = [abs(s[1][1] - s[0][1]) for s in segments]
    assert lengths == pytest.approx([4.0, 0.0, 0.0, 8.0, 3.0])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[-1] == 'student, AT'
    assert 'sample std' in ax.get_legend().get_texts()[0].get_text()

    out = plot_table1(SUMMARY, str(tmp_path / 'out' / 'table1.png'))
    # max(8, 1.5 * 5 + 2) x 5 inches
    assert png_size(out) == (int(9.5 * DPI), 5 * DPI)


def test_table1_without_std_and_unknown_keys(tmp_path):
    summary = [dict(key='mine', method='my model', top1=12.0)]
    fig = table1_figure(summary, paper=PAPER_TABLE1)
    ax = fig.axes[0]
    assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len([c for c in ax.containers if isinstance(c, BarContainer)]) == 1
    assert png_size(plot_table1(summary,
                                str(tmp_path / 't.png'))) == (800, 500)
    with pytest.raises(ValueError, match='no rows'):
        plot_table1([], str(tmp_path / 'empty.png'))


def test_training_curves_from_a_real_runner(tmp_path):
    runner = build_toy_runner(tmp_path / 'run', f'plots_{tmp_path.name}')
    runner.train()
    logs = find_run_dirs(str(tmp_path))
    assert logs == [str(tmp_path / 'run')]
    path = osp.join(runner.log_dir, 'vis_data', 'scalars.json')
    records = read_scalars(path)
    scalars = load_run_scalars(str(tmp_path / 'run'))
    assert len(scalars['train']) == 12 and len(scalars['val']) == 3
    assert len(records) == 15
    assert {'loss', 'loss_cls', 'loss_distill', 'top1_acc', 'epoch',
            'iter'} <= set(scalars['train'][0])
    assert [r['step'] for r in scalars['val']] == [1, 2, 3]

    fig = training_curves_figure([str(tmp_path / 'run')], labels=['toy'])
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ['loss', 'loss_cls', 'loss_distill', 'accuracy (top-1 %)']
    loss_line = fig.axes[0].get_lines()[0]
    # x in epochs: 4 iterations per epoch, the last at epoch 3
    assert list(loss_line.get_xdata()) == pytest.approx(
        [i / 4 for i in range(1, 13)])
    assert list(loss_line.get_ydata()) == [r['loss'] for r in scalars['train']]
    val_line = [
        line for line in fig.axes[3].get_lines()
        if line.get_label() == 'toy val'
    ][0]
    assert list(
        val_line.get_ydata()) == [100 * r['acc/top1'] for r in scalars['val']]

    out = plot_training_curves(
        str(tmp_path / 'run'), str(tmp_path / 'curves.png'))
    # 4 panels: 3 a row, 2 rows of 5 x 4 inches
    assert png_size(out) == (15 * DPI, 8 * DPI)


def _write_log(run_dir, stamp, records):
    path = osp.join(run_dir, stamp, 'vis_data', 'scalars.json')
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        for r in records:
            f.write(json.dumps(r) + '\n')


def _train(epoch, it, loss):
    # LocalVisBackend's line of a training iteration
    return dict(
        lr=0.1,
        loss=loss,
        loss_cls=loss,
        top1_acc=0.5,
        epoch=epoch,
        iter=it,
        step=it)


def test_resumed_and_restarted_runs(tmp_path):
    run = str(tmp_path / 'run')
    # first run, 2 iterations per epoch, killed in epoch 3
    _write_log(run, '20250101_000000', [
        _train(1, 1, 5.0),
        _train(1, 2, 4.0),
        {
            'acc/top1': 0.25,
            'step': 1
        },
        _train(2, 3, 3.0),
        _train(2, 4, 2.5),
        {
            'acc/top1': 0.5,
            'step': 2
        },
        _train(3, 5, 9.9),
    ])
    # a test-only run: no training records
    _write_log(run, '20250101_010000', [])
    # --resume from epoch 2's checkpoint: epoch 3 again; a torn last line
    _write_log(run, '20250101_020000', [
        _train(3, 5, 2.0),
        _train(3, 6, 1.5),
        {
            'acc/top1': 0.75,
            'step': 3
        },
    ])
    with open(
            osp.join(run, '20250101_020000', 'vis_data', 'scalars.json'),
            'a') as f:
        f.write('{"loss": 1.')
    scalars = load_run_scalars(run)
    assert [r['loss'] for r in scalars['train']] == [5, 4, 3, 2.5, 2, 1.5]
    assert [r['acc/top1'] for r in scalars['val']] == [0.25, 0.5, 0.75]
    # a later run that starts anew replaces the older ones
    _write_log(run, '20250102_000000', [_train(1, 1, 7.0)])
    assert [r['loss'] for r in load_run_scalars(run)['train']] == [7.0]


def test_job_results_from_the_table1_layout(tmp_path):
    job = tmp_path / 'job'
    for seed in (0, 1):
        for name in ('r3d18_x-rgb', 'r3d18_x-distill'):
            records = [_train(e, e, 3.0 - e) for e in (1, 2)]
            if name.endswith('distill'):
                for r in records:
                    r['loss_distill'] = 0.5
            _write_log(
                str(job / f'split1_seed{seed}' / name), '20250101',
                records + [{
                    'acc/top1': 0.5,
                    'step': 2
                }])
    # two-stream: tested, never trained
    _write_log(str(job / 'split1_seed0' / 'r3d18_x-two-stream'), '2025', [])
    written = plot_job_results(str(job), SUMMARY[:4])
    assert written == [
        str(job / 'table1.png'),
        str(job / 'training_curves.png')
    ]
    for path in written:
        png_size(path)
    # another table of the same job (e.g. an ablation) keeps its own names
    assert plot_job_results(
        str(job), SUMMARY, table_name='ablation') == [
            str(job / 'ablation.png'),
            str(job / 'ablation_training_curves.png')
        ]
    fig = training_curves_figure(find_run_dirs(str(job)))
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == [
        'split1_seed0 distill', 'split1_seed0 rgb', 'split1_seed1 distill',
        'split1_seed1 rgb'
    ]
    # colour by config, line style by split / seed
    assert lines[0].get_color() == lines[2].get_color()
    assert lines[0].get_color() != lines[1].get_color()
    assert lines[0].get_linestyle() == lines[1].get_linestyle()
    assert lines[0].get_linestyle() != lines[2].get_linestyle()
    # loss_distill only for the students
    distill = fig.axes[2]
    assert distill.get_title() == 'loss_distill'
    assert [line.get_label() for line in distill.get_lines()
            ] == ['split1_seed0 distill', 'split1_seed1 distill']


def test_job_without_training_logs_writes_the_table_only(tmp_path):
    written = plot_job_results(str(tmp_path), SUMMARY)
    assert written == [str(tmp_path / 'table1.png')]
    with pytest.raises(FileNotFoundError, match='no training records'):
        plot_training_curves(str(tmp_path), str(tmp_path / 'c.png'))
