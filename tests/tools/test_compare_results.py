# Copyright (c) tsdistill authors. All rights reserved.
"""compare_results: metrics json / work dir / dumped predictions -> table."""
import json
import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml
from _helpers.tools import REPO, load_tool

from tsdistill.jobs.results_table import (accuracies_from_predictions,
                                          find_metrics_json, format_table,
                                          load_reference, load_run,
                                          parse_run_spec)


def write_test_run(work_dir, stamp, top1, with_config=True):
    """What mmengine writes for a test run: <stamp>/<stamp>.json."""
    run_dir = osp.join(work_dir, stamp)
    vis = osp.join(run_dir, 'vis_data')
    os.makedirs(vis, exist_ok=True)
    with open(osp.join(run_dir, f'{stamp}.json'), 'w') as f:
        json.dump(
            {
                'acc/top1': top1,
                'acc/top5': 0.9,
                'acc/mean1': top1 - 0.01,
                'data_time': 0.02,
                'time': 0.42
            }, f)
    if with_config:
        with open(osp.join(vis, 'config.py'), 'w') as f:
            f.write("test_dataloader = dict(batch_size=4, dataset=dict("
                    "pipeline=[dict(type='SampleFrames', clip_len=25, "
                    "num_clips=2, test_mode=True), dict(type='ThreeCrop', "
                    "crop_size=112)]))\n")
    return run_dir


def test_work_dir_newest_test_run(tmp_path):
    work = str(tmp_path / 'rgb')
    write_test_run(work, '20240101_000000', 0.30)
    write_test_run(work, '20240102_000000', 0.345)
    # a training log (one json object per line) is not a test result
    train_dir = osp.join(work, '20240103_000000')
    os.makedirs(train_dir)
    with open(osp.join(train_dir, '20240103_000000.json'), 'w') as f:
        f.write('{"loss": 1.0}\n{"loss": 0.5}\n')
    path = find_metrics_json(work)
    assert '20240102_000000' in path
    run = load_run('rgb', work)
    assert run.top1 == pytest.approx(34.5)
    assert run.top5 == pytest.approx(90.0)
    assert run.mean_class == pytest.approx(33.5)
    # (0.42 - 0.02) s per batch of 4 samples x 2 clips x 3 crops
    assert run.ms_per_clip == pytest.approx(400 / 24)


def test_without_dumped_config_reports_ms_per_iteration(tmp_path):
    run_dir = write_test_run(
        str(tmp_path / 'x'), '20240101_000000', 0.5, with_config=False)
    run = load_run('x', osp.join(run_dir, '20240101_000000.json'))
    assert run.ms_per_clip == pytest.approx(400)
    assert 'ms per test iteration' in format_table([run])


def test_dumped_predictions(tmp_path):
    rng = np.random.default_rng(0)
    preds = []
    for label in [0, 0, 1, 1, 2, 2, 2, 2]:
        score = rng.random(6)
        if label != 2:
            score[label] = 2.0  # classes 0 and 1 right
        else:
            score[3] = 2.0  # class 2 taken for class 3
            score[2] = -1.0  # and ranked last: not in the top 5
        preds.append(dict(pred_score=score, gt_label=np.array([label])))
    top1, top5, mean1 = accuracies_from_predictions(preds)
    assert top1 == pytest.approx(50.0)
    assert top5 == pytest.approx(50.0)
    # mmaction2's mean class accuracy (AccMetric's acc/mean1): classes 0
    # and 1 right, 2 wrong, and 3, predicted but never a label, counts 0
    assert mean1 == pytest.approx(50.0)
    path = str(tmp_path / 'preds.pkl')
    with open(path, 'wb') as f:
        pickle.dump(preds, f, protocol=2)  # as mmengine's dump
    run = load_run('dump', path)
    assert run.top1 == pytest.approx(50.0) and run.ms_per_clip is None


def test_missing_run_fails_with_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        load_run('rgb', str(tmp_path / 'nowhere.json'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='acc/top1'):
        load_run('rgb', str(tmp_path / 'empty'))


def test_shipped_reference_and_cli(tmp_path):
    reference = load_reference()  # configs/recognition/r3d18/metafile.yml
    assert reference == load_reference(
        osp.join(REPO, 'configs', 'recognition', 'r3d18', 'metafile.yml'))
    by_key = {row['key']: row['top1'] for row in reference if row['key']}
    assert by_key == {
        'rgb': 34.5,
        'tvl1': 36.5,
        'two-stream': 46.6,
        'distill': 54.5
    }
    zoo = {row['name']: row for row in reference if not row['key']}
    assert len(zoo) == 7
    assert zoo['tsm_k400_pretrained_r50_1x1x16_25e_hmdb51_rgb']['top1'] == \
        74.77
    assert parse_run_spec('distill=a/b') == ('distill', 'a/b')
    assert parse_run_spec('work_dirs/rgb/') == ('rgb', 'work_dirs/rgb/')

    write_test_run(str(tmp_path / 'rgb'), '20240101_000000', 0.345)
    write_test_run(str(tmp_path / 'distill'), '20240101_000000', 0.545)
    out = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'analysis',
                 'compare_results.py'), f"rgb={tmp_path / 'rgb'}",
        f"distill={tmp_path / 'distill'}", '--reference'
    ],
                         capture_output=True,
                         text=True,
                         check=True,
                         cwd=REPO).stdout
    lines = out.splitlines()
    assert lines[0].startswith('| method | top-1 % | top-5 % | mean class %')
    assert '| rgb | 34.5 | 90.0 | 33.5 | 16.7 | 34.5 |' in lines
    assert '| distill | 54.5 | 90.0 | 53.5 | 16.7 | 54.5 |' in lines
    # unmatched references (two-stream, model zoo) listed below
    assert any('tsm_k400_pretrained_r50_1x1x16' in line for line in lines)
    # with the digits of the source: 48.95, not 49.0
    assert '| tsn_r50_1x1x8_50e_hmdb51_imagenet_rgb (ImageNet) | 48.95 | ' \
        'mmaction2 0.x model zoo |' in lines
    assert any('two-stream' in line and '46.6' in line for line in lines)
    assert not any('| 34.5 |' in line for line in lines[lines.index(''):])


def test_demo_metafile_reference_with_std(tmp_path):
    """A run named after a config matches that model; std is shown."""
    demo = osp.join(REPO, 'configs', 'demo', 'metafile.yml')
    name = 'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-distill'
    write_test_run(str(tmp_path / name), '20240101_000000', 0.9)
    table = format_table([load_run(name, str(tmp_path / name))],
                         load_reference(demo))
    assert f'| {name} | 90.0 | 90.0 | 89.0 | 16.7 | 41.8 ± 26.1 |' in table
    # unmatched models listed with their first result, mean ± std
    rgb = 'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-rgb'
    with open(demo) as f:
        model = next(
            m for m in yaml.safe_load(f)['Models'] if m['Name'] == rgb)
    metrics = model['Results'][0]['Metrics']
    assert f"| {rgb} | {metrics['Top 1 Accuracy']} ± " \
        f"{metrics['Top 1 Accuracy Std']} |" in table


def test_metafile_errors_name_the_file(tmp_path):
    bad = tmp_path / 'metafile.yml'
    bad.write_text('Models:\n  - Name: x\n    Results: [\n')
    with pytest.raises(ValueError, match=re.escape(f'{bad}:4')):
        load_reference(str(bad))
    bad.write_text('Collections: []\n')
    with pytest.raises(ValueError, match=f'{re.escape(str(bad))}: not a '):
        load_reference(str(bad))
    bad.write_text('Models:\n  - Name: x\n    Results:\n'
                   '      - Metrics: {Top 1 Accuracy: high}\n')
    with pytest.raises(ValueError, match='model x: Top 1 Accuracy'):
        load_reference(str(bad))
    with pytest.raises(FileNotFoundError):
        load_reference(str(tmp_path / 'missing.yml'))


def test_a_pickle_named_json_is_named_in_the_error(tmp_path):
    path = str(tmp_path / 'metrics.json')
    with open(path, 'wb') as f:
        pickle.dump([dict(pred_score=np.zeros(3), gt_label=[0])], f)
    main = load_tool('analysis', 'compare_results.py').main
    for call in (lambda: load_run('rgb', path), lambda: main([f'rgb={path}'])):
        with pytest.raises(ValueError) as info:
            call()
        message = str(info.value)
        assert path in message and 'not a metrics json' in message
        assert 'pickle' in message
    # a training log (JSON lines) and a JSON list: named too
    with open(path, 'w') as f:
        f.write('{"loss": 1.0}\n{"loss": 0.5}\n')
    with pytest.raises(ValueError, match=re.escape(path) + '.*line 2'):
        load_run('rgb', path)
    with open(path, 'w') as f:
        f.write('[0.5]')
    with pytest.raises(ValueError, match=re.escape(path) + '.*JSON list'):
        load_run('rgb', path)


def test_runs_sharing_a_name_are_aggregated(tmp_path):
    from tsdistill.jobs.results_table import aggregate_runs
    for i, top1 in enumerate((0.30, 0.40, 0.50)):
        write_test_run(str(tmp_path / f'rgb{i}'), f'2024010{i}_000000', top1)
    write_test_run(str(tmp_path / 'flow'), '20240101_000000', 0.6)
    runs = aggregate_runs(
        [load_run('rgb', str(tmp_path / f'rgb{i}'))
         for i in range(3)] + [load_run('flow', str(tmp_path / 'flow'))])
    assert [r.name for r in runs] == ['rgb', 'flow']
    rgb, flow = runs
    assert rgb.runs == 3 and flow.runs == 1
    assert rgb.top1 == pytest.approx(40.0)
    assert rgb.top1_std == pytest.approx(10.0)
    assert rgb.mean_class == pytest.approx(39.0)
    assert flow.top1_std is None
    table = format_table(runs)
    assert '| rgb | 40.0 ± 10.0 |' in table and '| 3 |' in table
    # the tool does the same
    out = subprocess.run(
        [sys.executable,
         osp.join(REPO, 'tools/analysis/compare_results.py')] +
        [f'rgb={tmp_path}/rgb{i}' for i in range(3)],
        capture_output=True,
        text=True,
        check=True).stdout
    assert '40.0 ± 10.0' in out


class _RunsCode:
    """A pickle that runs a shell command when loaded with plain pickle."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_crafted_dump_does_not_run_code(tmp_path):
    marker = tmp_path / 'code_ran'
    path = str(tmp_path / 'evil.pkl')
    main = load_tool('analysis', 'compare_results.py').main
    for protocol in (2, pickle.DEFAULT_PROTOCOL):
        with open(path, 'wb') as f:
            pickle.dump([dict(pred_score=_RunsCode(marker), gt_label=[0])],
                        f,
                        protocol=protocol)
        with pytest.raises(pickle.UnpicklingError) as info:
            load_run('evil', path)
        assert path in str(info.value), info.value
        with pytest.raises(pickle.UnpicklingError, match=re.escape(path)):
            main([f'evil={path}'])
        assert not marker.exists()
    # protocol 2 reached the unpickler, which refused os.system
    with open(path, 'wb') as f:
        pickle.dump([_RunsCode(marker)], f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        load_run('evil', path)
    assert not marker.exists()


def test_mmengine_dump_with_tensors(tmp_path):
    # what tools/test.py --dump writes: DumpResults of ActionDataSamples
    from mmaction.structures import ActionDataSample
    from mmengine.evaluator import DumpResults
    path = str(tmp_path / 'preds.pkl')
    dump = DumpResults(out_file_path=path)
    samples = []
    for label, score in ((0, [0.9, 0.1]), (1, [0.6, 0.4]), (1, [0.2, 0.8])):
        sample = ActionDataSample().set_gt_label(label)
        sample.set_pred_score(torch.tensor(score))
        sample.set_metainfo(dict(img_shape=(112, 112), num_classes=2))
        samples.append(sample.to_dict())
    dump.process(None, samples)
    dump.compute_metrics(dump.results)
    run = load_run('dump', path)
    assert run.top1 == pytest.approx(100 * 2 / 3)
    assert run.mean_class == pytest.approx(75.0)


def test_dump_gives_the_numbers_of_mmaction2_acc_metric():
    """A dump's accuracies equal those its test run logged (AccMetric)."""
    from mmaction.evaluation import AccMetric
    from mmaction.structures import ActionDataSample
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 7, 40)
    scores = rng.random((40, 9))
    scores[np.arange(20), labels[:20]] += 0.5  # half of them mostly right
    samples = [
        ActionDataSample().set_gt_label(int(label)).set_pred_score(
            torch.tensor(score)).to_dict()
        for label, score in zip(labels, scores)
    ]
    metric = AccMetric()
    metric.process(None, samples)
    logged = metric.compute_metrics(metric.results)
    got = accuracies_from_predictions(samples)
    assert got == pytest.approx(
        [100 * logged[k] for k in ('top1', 'top5', 'mean1')])
