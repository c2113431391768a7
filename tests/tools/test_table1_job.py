# Copyright (c) tsdistill authors. All rights reserved.
"""The main job end to end on a tiny embedded dataset (1-2 epochs)."""
import json
import os.path as osp

from tsdistill.apis.table1 import TABLE1_ROWS, run_table1

TINY = {
    'train_cfg.max_epochs':
    2,
    'train_cfg.val_interval':
    2,
    'param_scheduler': [
        dict(type='LinearLR', start_factor=0.5, by_epoch=True, begin=0, end=1),
        dict(type='CosineAnnealingLR', T_max=1, by_epoch=True, begin=1, end=2)
    ],
    'default_hooks.checkpoint.interval':
    2,
    'train_dataloader.num_workers':
    0,
    'train_dataloader.persistent_workers':
    False,
    'val_dataloader.num_workers':
    0,
    'val_dataloader.persistent_workers':
    False,
    'test_dataloader.num_workers':
    0,
    'test_dataloader.persistent_workers':
    False,
}


def test_run_table1_writes_every_row(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # data/ and work_dirs/ go here
    results = run_table1(work_dir='work', videos_per_class=3, cfg_options=TINY)
    assert [r.key for r in results] == [r.key for r in TABLE1_ROWS]
    for result in results:
        assert 0 <= result.top1 <= 100
        assert 0 <= result.mean_class_acc <= 100
        assert result.ms_per_clip > 0
    # the embedded data went through the HMDB51 tool
    assert osp.isfile('data/synthetic_motion/annotations/classes.txt')
    table = json.loads(open('work/table1.json').read())
    assert len(table['rows']) == 4
    assert 'Video-level accuracy' in table['protocol']
    markdown = open('work/table1.md').read()
    assert 'distilled student (M3)' in markdown
    assert osp.getsize('work/flow_visualization.png') > 0
    # the student was trained against the teacher row's checkpoint
    assert osp.isfile(osp.join(results[1].work_dir, 'epoch_2.pth'))
