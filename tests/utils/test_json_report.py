# Copyright (c) tsdistill authors. All rights reserved.
import json
import os.path as osp

from tsdistill.utils.json_report import write_json_report


def test_write_json_report_creates_folder_and_reads_back(tmp_path):
    path = str(tmp_path / 'a' / 'b' / 'report.json')
    report = dict(settings=dict(sizes=[112, 224]), seconds=1.5, ok=True)
    write_json_report(path, report)
    with open(path) as f:
        text = f.read()
    assert json.loads(text) == report
    assert text == json.dumps(report, indent=2)


def test_write_json_report_bare_name_replaces_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_json_report('report.json', dict(run=1))
    write_json_report('report.json', [2])
    assert osp.isfile(tmp_path / 'report.json')
    with open(tmp_path / 'report.json') as f:
        assert json.load(f) == [2]
