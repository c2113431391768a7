# Copyright (c) tsdistill authors. All rights reserved.
"""tsdistill installed from its wheel and used outside the checkout.

The wheel is built from a copy of the checkout and installed with ``pip
install --no-deps --target`` into a folder; the tools then run with only
that folder on ``PYTHONPATH``, from a directory without ``configs/`` or
``tools/``: the shipped tools and configs (``tsdistill/.mim``) train and
test the CPU demo's RGB model (Table 1 row 1) and train the student M3
against a teacher checkpoint, one iteration each on tiny videos, and
``extract_flow`` runs M1 on a real HMDB51 clip. One wheel is built as pip
builds by default, in an isolated build env (pip fetches setuptools from
the package index, or takes it from its cache), to check its requirements.

M1's fused kernel is not built here (``CXX`` names no compiler, so M1 runs
its eager ops): its build folder is keyed by the extension's name, not by
the path of the sources, so a build from the installed copy would rebuild
the checkout's (a minute each way).
"""
import email.parser
import glob
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest
from _helpers.launch import make_video_dataset
from _helpers.tools import REPO
from _helpers.videos import real_clips
from mmengine.config import Config
from mmengine.runner import save_checkpoint

DEMO = 'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-{}.py'
#: Top-level entries of the checkout that a build does not read.
NOT_COPIED = {
    '.git', '.venv', 'work_dirs', 'data', 'build', 'dist', 'tsdistill.egg-info'
}
#: One iteration (two videos, a batch of two), no dataloader workers.
ONE_ITERATION = [
    'train_cfg.max_epochs=1', 'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False'
]


def _ignore(folder, names):
    ignored = {n for n in names if n in ('__pycache__', '.pytest_cache')}
    if osp.samefile(folder, REPO):
        ignored |= NOT_COPIED & set(names)
    return ignored


def _copy_checkout(dest):
    """The checkout as a build sees it (links kept: tsdistill/.mim of an
    editable install points into the copy)."""
    shutil.copytree(REPO, dest, symlinks=True, ignore=_ignore)
    return str(dest)


def _run(cmd, cwd, env=None, timeout=300):
    proc = subprocess.run(
        cmd,
        cwd=str(cwd),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{cmd} failed:\n{out[-4000:]}'
    return out


def _build_wheel(source, out_dir, isolated):
    isolation = [] if isolated else ['--no-build-isolation']
    _run(
        [
            sys.executable, '-m', 'pip', 'wheel', '--no-deps',
            '--disable-pip-version-check'
        ] + isolation + ['-w', str(out_dir), source],
        cwd=out_dir.parent)
    wheels = glob.glob(osp.join(str(out_dir), 'tsdistill-*.whl'))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    root = tmp_path_factory.mktemp('wheel')
    source = _copy_checkout(root / 'src')
    return _build_wheel(source, root / 'dist', isolated=False)


@pytest.fixture(scope='module')
def site(wheel, tmp_path_factory):
    """The folder the wheel is installed into."""
    target = str(tmp_path_factory.mktemp('site'))
    _run([
        sys.executable, '-m', 'pip', 'install', '--no-deps',
        '--disable-pip-version-check', '--target', target, wheel
    ],
         cwd=target)
    return target


@pytest.fixture
def env(site):
    """Only the installed copy on the path; M1 without its fused kernel."""
    env = dict(os.environ)
    env.pop('TSDISTILL_DIST_BACKEND', None)
    env.update(
        PYTHONPATH=site,
        OMP_NUM_THREADS='1',
        MKL_NUM_THREADS='1',
        CXX='tsdistill-no-such-compiler')
    return env


def _requirements(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = next(n for n in names if n.endswith('.dist-info/METADATA'))
        message = email.parser.Parser().parsestr(zf.read(meta).decode())
    return names, message.get_all('Requires-Dist'), message.get_all(
        'Provides-Extra')


def _shipped(names):
    mim = 'tsdistill/.mim/'
    return sorted(n[len(mim):] for n in names if n.startswith(mim))


def test_isolated_wheel_leaves_the_mmcv_choice_to_extras(wheel, tmp_path):
    """pip's default build (isolated: no mmcv in the build env) must not
    require mmcv-lite, which pip would install over a full mmcv."""
    source = _copy_checkout(tmp_path / 'src')
    isolated = _build_wheel(source, tmp_path / 'dist', isolated=True)
    names, requires, extras = _requirements(isolated)
    mmcv = [
        r for r in requires
        if r.split(';')[0].strip().lower().startswith('mmcv')
    ]
    assert sorted(mmcv) == [
        'mmcv-lite<2.2.0,>=2.0.0; extra == "lite"',
        'mmcv<2.2.0,>=2.0.0; extra == "full"'
    ]
    assert {'lite', 'full'} <= set(extras)
    # the same files as the non-isolated build, configs and tools included
    assert names == _requirements(wheel)[0]
    shipped = _shipped(names)
    for name in ('configs/demo/' + DEMO.format('rgb'),
                 'configs/_base_/default_runtime.py', 'tools/train.py',
                 'tools/test.py', 'tools/extract_flow.py'):
        assert name in shipped
    assert not [n for n in shipped if '__pycache__' in n]
    # the scripts that set up the checkout's venv stay in the checkout
    assert 'tools/setup_env.sh' not in shipped
    assert 'tools/run_tests.sh' not in shipped
    assert 'tools/dist_train.sh' in shipped
    assert 'tsdistill/models/flow/csrc/tvl1_iterate.cpp' in names


def test_import_finds_the_installed_copy(site, env, tmp_path):
    out = _run([
        sys.executable, '-c', 'import os.path as osp, tsdistill; '
        'from tsdistill.utils.paths import shipped_path; '
        "print('file', tsdistill.__file__); "
        "print('link', osp.islink(shipped_path('configs')))"
    ],
               cwd=tmp_path,
               env=env)
    lines = dict(
        line.split(' ', 1) for line in out.splitlines()
        if line.startswith(('file ', 'link ')))
    assert lines['file'] == osp.join(site, 'tsdistill', '__init__.py')
    assert lines['link'] == 'False'  # a copy, not a link into a checkout


@pytest.fixture
def demo_data(tmp_path):
    """Two tiny videos in the layout of the demo's dataset config."""
    root = str(tmp_path / 'data')
    _, ann = make_video_dataset(root, num_videos=2, num_frames=6, size=32)
    os.makedirs(osp.join(root, 'annotations'))
    for subset in ('train', 'val'):
        shutil.copy(
            ann,
            osp.join(root, 'annotations',
                     f'hmdb51_{subset}_split_1_videos.txt'))
    return root


def _tool(site, name):
    return osp.join(site, 'tsdistill', '.mim', 'tools', name)


def _config(site, kind):
    return osp.join(site, 'tsdistill', '.mim', 'configs', 'demo',
                    DEMO.format(kind))


def test_train_and_test_the_shipped_demo(site, env, demo_data, tmp_path):
    env = dict(env, SYNTHETIC_MOTION_ROOT=demo_data)
    work = str(tmp_path / 'rgb')
    _run(
        [
            sys.executable,
            _tool(site, 'train.py'),
            _config(site, 'rgb'), '--work-dir', work, '--cfg-options'
        ] + ONE_ITERATION,
        cwd=tmp_path,
        env=env)
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    out = _run(
        [
            sys.executable,
            _tool(site, 'test.py'),
            _config(site, 'rgb'), ckpt, '--work-dir', work, '--cfg-options'
        ] + ONE_ITERATION,
        cwd=tmp_path,
        env=env)
    assert 'acc/top1' in out


def test_train_the_student_against_a_named_teacher(site, env, demo_data,
                                                   tmp_path):
    """The student config names its teacher config relative to the
    repository (configs/demo/...-tvl1.py); without a checkout it is the
    shipped one. The teacher checkpoint is the user's."""
    teacher = Config.fromfile(_config(site, 'tvl1')).model
    from mmaction.registry import MODELS
    ckpt = str(tmp_path / 'teacher.pth')
    save_checkpoint(dict(state_dict=MODELS.build(teacher).state_dict()), ckpt)
    env = dict(env, SYNTHETIC_MOTION_ROOT=demo_data)
    assert not osp.exists(tmp_path / 'configs')
    work = str(tmp_path / 'student')
    out = _run(
        [
            sys.executable,
            _tool(site, 'train.py'),
            _config(site, 'distill'),
            '--work-dir',
            work,
            '--cfg-options',
            f'model.teacher_ckpt={ckpt}',
            # CE from the start: the warm-up without CE (10 epochs) would
            # be longer than this training
            'model.loss_schedule=None'
        ] + ONE_ITERATION,
        cwd=tmp_path,
        env=env)
    assert 'loss_distill' in out
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))


def test_extract_flow_on_a_real_clip(site, env, tmp_path):
    clip = next(c for c in real_clips() if 'shoot_bow' in c)  # 82 frames
    ann = tmp_path / 'list.txt'
    ann.write_text(f'{osp.basename(clip)} 0\n')
    out_root = tmp_path / 'flow'
    _run([
        sys.executable,
        _tool(site, 'extract_flow.py'),
        str(ann), '--data-root',
        osp.dirname(clip), '--out-root',
        str(out_root), '--short-side', '32', '--flow-cfg',
        '{"num_scales": 1, "num_warps": 1, "num_iters": 5}', '--no-progress'
    ],
         cwd=tmp_path,
         env=env)
    folder = out_root / osp.splitext(osp.basename(clip))[0]
    assert len(list(folder.glob('img_*.jpg'))) == 82
    assert len(list(folder.glob('x_*.jpg'))) == 81
    assert len(list(folder.glob('y_*.jpg'))) == 81
