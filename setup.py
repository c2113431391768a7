# Copyright (c) tsdistill authors. All rights reserved.
"""Install tsdistill, an mmaction2 plugin for flow-to-RGB distillation.

Install torch first (``pip install torch==2.13.0`` or your CUDA build): the
``torch`` requirement below is a range so that an installed build satisfies
it; an unpinned install would pull a multi-GB CUDA wheel.

mmcv: mmaction2 1.2.0 needs ``mmcv>=2.0.0,<2.2.0`` (it asserts the range
at import) and, like tsdistill, does not require it unconditionally: full
mmcv and the pure-Python ``mmcv-lite`` install the same ``mmcv`` package,
and pip would put one over the other. Choose with an extra::

    pip install '.[lite]'   # mmcv-lite: enough for the 3D CNN recognizers
    pip install '.[full]'   # full mmcv (no wheel of 2.1 for current torch)
    pip install .           # keep the mmcv or mmcv-lite already installed

``import tsdistill`` without either says which command to run
(:func:`tsdistill.compat.require_mmcv`).

Configs and tools ship inside the package, as mmaction2 ships them in
``mmaction/.mim``: ``tsdistill/.mim/configs`` and ``tsdistill/.mim/tools``
are copies of ``configs/`` and ``tools/`` in a wheel (and so in ``pip
install .``; without the scripts that set up the checkout's venv), and
links to them in an editable install (``pip install -e .``), so that edits
in the checkout apply at once. A wheel build copies them into its build
folder only: it never writes into the checkout, where the links of an
editable install stay as they are. An sdist carries ``configs/`` and
``tools/`` (MANIFEST.in); a wheel built from it copies them as from a
checkout.
"""
import os
import os.path as osp
import shutil
import warnings

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
#: The folders of the checkout shipped as ``tsdistill/.mim/<name>``.
MIM_FOLDERS = ('configs', 'tools')
MIM_DIR = osp.join('tsdistill', '.mim')
#: Scripts that set up and use the checkout's venv: not in a wheel.
CHECKOUT_ONLY = {
    'tools': ('setup_env.sh', 'run_demo.sh', 'run_tests.sh'),
}
MMCV_RANGE = '>=2.0.0,<2.2.0'


def _remove(path: str) -> None:
    if osp.islink(path) or osp.isfile(path):
        os.remove(path)
    elif osp.isdir(path):
        shutil.rmtree(path)


def _copy_folder(name: str, package_root: str) -> None:
    """Copy the checkout's ``name/`` to ``<package_root>/.mim/name``."""
    source = osp.join(HERE, name)
    if not osp.isdir(source):
        raise FileNotFoundError(
            f'{source}: not found; the package would ship without '
            f'{MIM_DIR}/{name}. Build from a checkout or an sdist.')
    target = osp.join(package_root, '.mim', name)
    _remove(target)
    caches = shutil.ignore_patterns('__pycache__', '*.pyc')

    def ignore(folder, names):
        ignored = set(caches(folder, names))
        if folder == source:
            ignored.update(
                n for n in CHECKOUT_ONLY.get(name, ()) if n in names)
        return ignored

    shutil.copytree(source, target, ignore=ignore)


def _link_mim() -> None:
    """Link ``tsdistill/.mim/{configs,tools}`` to the checkout's folders.

    Relative links, so a moved checkout keeps them; where links cannot be
    made (Windows without the privilege), copies, with a warning.
    """
    os.makedirs(osp.join(HERE, MIM_DIR), exist_ok=True)
    for name in MIM_FOLDERS:
        target = osp.join(HERE, MIM_DIR, name)
        _remove(target)
        try:
            os.symlink(osp.join(os.pardir, os.pardir, name), target)
        except OSError as error:
            warnings.warn(f'cannot link {target} to {name}/ ({error}); '
                          'copying it: edits in the checkout need another '
                          '`pip install -e .`')
            _copy_folder(name, osp.join(HERE, 'tsdistill'))


class BuildPy(build_py):
    """``build_py``, plus ``tsdistill/.mim``: copies, or links if editable.

    setuptools (>= 64, pyproject.toml) runs ``build_py`` with
    ``editable_mode`` set for ``pip install -e .`` (PEP 660), where the
    package is the checkout itself.
    """

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            _link_mim()
        else:
            for name in MIM_FOLDERS:
                _copy_folder(name, osp.join(self.build_lib, 'tsdistill'))


def _version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'tsdistill', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='tsdistill',
    version=_version(),
    description='Flow-to-RGB feature distillation (TV-L1 teacher, R3D-18 '
    'student) as an mmaction2 plugin',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    # M1's fused CPU kernel, compiled on first use (not at install time:
    # torch must be installed first); MANIFEST.in puts it in the sdist
    package_data={'tsdistill.models.flow': ['csrc/*.cpp']},
    cmdclass={'build_py': BuildPy},
    python_requires='>=3.8',
    install_requires=[
        'torch>=2.0',
        'mmaction2==1.2.0',
        'mmengine>=0.10.7,<0.11',
        # no mmcv here: the extras below (see the docstring)
        # mmaction2 itself requires opencv-contrib-python; a second
        # (headless) contrib build would fight over the same cv2 package.
        'opencv-contrib-python>=4.5',
        'decord>=0.6.0',
        'importlib_metadata',
        # plots of the main job (tsdistill/jobs/plots.py); mmengine and
        # mmaction2 require it too, unpinned
        'matplotlib',
        # builds M1's fused CPU kernel (tsdistill/models/flow/fused.py)
        'ninja',
        'numpy',
    ],
    extras_require={
        # pure-Python mmcv: enough for the 3D CNN recognizers
        'lite': [f'mmcv-lite{MMCV_RANGE}'],
        # full mmcv with its compiled ops, built for your torch
        'full': [f'mmcv{MMCV_RANGE}'],
        # pytest-timeout: a test that hangs fails with its stack (setup.cfg)
        'tests': [
            'pytest>=7', 'pytest-timeout', 'hypothesis', 'flake8', 'isort',
            'yapf'
        ],
        # TSDISTILL_TENSORBOARD=1 (configs/_base_/default_runtime.py); not
        # a hard dependency: it brings grpcio, protobuf and a data server
        'tensorboard': ['tensorboard'],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
