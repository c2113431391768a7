# Copyright (c) tsdistill authors. All rights reserved.
"""Install tsdistill, an mmaction2 plugin for flow-to-RGB distillation.

Install torch first (``pip install torch==2.13.0`` or your CUDA build): the
``torch`` requirement below is a range so that an installed build satisfies
it; an unpinned install would pull a multi-GB CUDA wheel.
"""
from importlib import metadata

from setuptools import find_packages, setup


def _mmcv_requirement() -> str:
    """Full mmcv if the user already has it, otherwise pure-Python mmcv-lite.

    mmaction2 1.2.0 asserts ``mmcv < 2.2.0``; mmcv 2.1 has no wheel for
    current torch, and the lite build is enough for 3D CNN recognizers.
    """
    try:
        metadata.version('mmcv')
        return 'mmcv>=2.0.0,<2.2.0'
    except metadata.PackageNotFoundError:
        return 'mmcv-lite>=2.0.0,<2.2.0'


def _version() -> str:
    scope: dict = {}
    with open('tsdistill/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='tsdistill',
    version=_version(),
    description='Flow-to-RGB feature distillation (TV-L1 teacher, R3D-18 '
    'student) as an mmaction2 plugin',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    # M1's fused CPU kernel, compiled on first use (not at install time:
    # torch must be installed first); MANIFEST.in puts it in the sdist
    package_data={'tsdistill.models.flow': ['csrc/*.cpp']},
    python_requires='>=3.8',
    install_requires=[
        'torch>=2.0',
        'mmaction2==1.2.0',
        'mmengine>=0.10.7,<0.11',
        _mmcv_requirement(),
        # mmaction2 itself requires opencv-contrib-python; a second
        # (headless) contrib build would fight over the same cv2 package.
        'opencv-contrib-python>=4.5',
        'decord>=0.6.0',
        'importlib_metadata',
        # plots of the main job (tsdistill/apis/plots.py); mmengine and
        # mmaction2 require it too, unpinned
        'matplotlib',
        # builds M1's fused CPU kernel (tsdistill/models/flow/fused.py)
        'ninja',
        'numpy',
    ],
    extras_require={
        # pytest-timeout: a test that hangs fails with its stack (setup.cfg)
        'tests': ['pytest>=7', 'pytest-timeout', 'flake8', 'isort', 'yapf'],
        # TSDISTILL_TENSORBOARD=1 (configs/_base_/default_runtime.py); not
        # a hard dependency: it brings grpcio, protobuf and a data server
        'tensorboard': ['tensorboard'],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
