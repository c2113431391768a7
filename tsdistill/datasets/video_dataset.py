# Copyright (c) tsdistill authors. All rights reserved.
"""mmaction2's ``VideoDataset`` with named errors for broken videos.

mmaction2's ``DecordInit`` reads the file into memory before decord sees
it: a broken video then fails with an error that does not say which file
it was, and a truncated AVI makes decord crash the process (segmentation
fault). :class:`CheckedVideoDataset` therefore replaces each plain
``DecordInit`` of its pipeline by
:class:`~tsdistill.datasets.transforms.CheckedDecordInit`, which refuses
truncated files (named) and opens local files by path, where decord does
not crash. It re-raises a failure to open or decode a video (an exception
raised inside mmaction2's or tsdistill's loading transforms --
``DecordInit``, ``SampleFrames``, ``DecordDecode``, ... -- decord, or
mmengine's file I/O) as :class:`VideoDecodeError` naming the file
(default). With ``skip_broken=True`` during training it skips the video
instead: it warns at once, records the skip in shared memory (so it works
with DataLoader worker processes, forked or spawned) and returns ``None``,
on which mmengine's ``BaseDataset`` draws another index, so the epoch keeps
its length. :class:`BrokenVideoReportHook` reports the number of skips and
the files at the end of every epoch (gathered over all ranks).

Failures anywhere else in the pipeline (a bug or a bad config, not a
broken file) are never skipped: they propagate unchanged, with a note
naming the file. Test-time datasets never skip either: every test video is
evaluated or the run stops with the file's name. A missing or empty
annotation list is an error naming it, and so is a line mmaction2 cannot
parse or a label out of range (:func:`check_list_lines`), with the list
and the line: the number of classes is the dataset's ``num_classes`` (the
model head's, when the config passes it) and that of the ``classes.txt``
beside the list (which ``prepare_annotations`` writes), which must agree.

To find broken videos before training (crash-isolated, every frame
decoded), see :func:`tsdistill.utils.video_check.probe_videos`, used by
``tools/data/hmdb51/prepare_annotations.py`` and
``tools/data/check_videos.py``.
"""
import multiprocessing
import os
import os.path as osp
import traceback
import warnings
from typing import Dict, List, Optional, Sequence

from mmaction.datasets import VideoDataset
from mmaction.datasets.transforms import DecordInit
from mmaction.registry import DATASETS, HOOKS
from mmengine.dist import all_gather_object, is_distributed
from mmengine.fileio import exists, list_from_file
from mmengine.hooks import Hook
from mmengine.logging import print_log

from .transforms import CheckedDecordInit

#: the class names beside a list, one a line (label ``i`` on line ``i + 1``),
#: as ``prepare_annotations`` writes them
CLASSES_FILE = 'classes.txt'
#: bad lines quoted in one error (the error gives their number)
MAX_LINES_SHOWN = 10

#: modules whose exceptions mean "this file cannot be opened or decoded"
DECODE_MODULES = ('mmaction.datasets.transforms.loading',
                  'tsdistill.datasets.transforms.loading',
                  'tsdistill.datasets.transforms.decoded_video_cache',
                  'decord', 'mmengine.fileio', 'av', 'cv2')


class VideoDecodeError(RuntimeError):
    """A video could not be opened or decoded; the message names it."""


class AnnotationListError(ValueError):
    """A list line mmaction2 cannot read, or a label out of range.

    The message names the list and every bad line (the first
    :data:`MAX_LINES_SHOWN` quoted).
    """


def read_classes_file(ann_file: str) -> Optional[List[str]]:
    """The class names of the ``classes.txt`` beside a list, if any.

    Args:
        ann_file (str): An annotation list.

    Returns:
        list[str] or None: The names in label order; ``None`` without the
        file.
    """
    path = osp.join(osp.dirname(ann_file), CLASSES_FILE)
    if not osp.isfile(path):
        return None
    names = list_from_file(path)
    while names and not names[-1].strip():
        names.pop()
    return names


def check_list_lines(ann_file: str,
                     lines: Sequence[str],
                     num_classes: Optional[int] = None,
                     delimiter: str = ' ',
                     multi_class: bool = False,
                     source: str = 'the num_classes argument') -> None:
    """Check a ``VideoDataset`` list line by line, as mmaction2 splits it.

    mmaction2 1.2's ``VideoDataset.load_data_list`` splits each stripped
    line on ``delimiter`` and unpacks ``filename, label``: a path holding
    the delimiter fails with ``too many values to unpack`` and a label out
    of range fails in the loss (``IndexError: Target 12 is out of bounds``),
    neither naming the list nor the line.

    Args:
        ann_file (str): The list (for the messages).
        lines (Sequence[str]): Its lines, as ``list_from_file`` reads them.
        num_classes (int, optional): Labels must be in
            ``0 .. num_classes - 1``; ``None``: only ``>= 0``.
        delimiter (str): ``VideoDataset``'s ``delimiter``. Defaults to
            ``' '``.
        multi_class (bool): Lines hold several labels. Defaults to
            ``False``.
        source (str): Where ``num_classes`` comes from (for the message).
            Defaults to ``'the num_classes argument'``.

    Raises:
        AnnotationListError: Any bad line; the message names the list, the
            lines and what is wrong with each.
    """
    bad = []
    for number, line in enumerate(lines, 1):
        parts = line.strip().split(delimiter)
        if not line.strip():
            bad.append((number, 'blank line'))
            continue
        if len(parts) == 1:  # mmaction2's "no label" (-1), for inference
            continue
        if not multi_class and len(parts) != 2:
            bad.append(
                (number, f'{len(parts)} fields split on {delimiter!r}, '
                 'expected "<video><delimiter><label>" (a path cannot hold '
                 f'the delimiter): {line!r}'))
            continue
        try:
            labels = [int(x) for x in parts[1:]]
        except ValueError:
            bad.append((number, f'a label that is not an integer: {line!r}'))
            continue
        for label in labels:
            if num_classes is not None and not 0 <= label < num_classes:
                bad.append((number, f'label {label} is out of range '
                            f'0..{num_classes - 1} ({num_classes} classes, '
                            f'{source}): {line!r}'))
                break
            if label < 0:
                bad.append((number, f'negative label {label}: {line!r}'))
                break
    if bad:
        shown = [f'  {ann_file}:{n}: {what}' for n, what in bad]
        more = len(shown) - MAX_LINES_SHOWN
        raise AnnotationListError(
            f'annotation list {ann_file}: {len(bad)} bad line(s):\n' +
            '\n'.join(shown[:MAX_LINES_SHOWN]) +
            (f'\n  ... and {more} more' if more > 0 else ''))


def is_decode_error(error: BaseException) -> bool:
    """Whether ``error`` was raised while opening or decoding a video.

    True when a frame of its traceback (or of a chained cause) runs in one
    of :data:`DECODE_MODULES`.

    Args:
        error (BaseException): A pipeline exception.

    Returns:
        bool: ``True`` for load / decode failures.
    """
    while error is not None:
        for frame, _ in traceback.walk_tb(error.__traceback__):
            module = frame.f_globals.get('__name__', '')
            if any(module == m or module.startswith(m + '.')
                   for m in DECODE_MODULES):
                return True
        error = error.__cause__ or error.__context__
    return False


class SkipCounts:
    """Skips per sample, in shared memory, for DataLoader workers.

    Allocated in the main process before the DataLoader starts its workers;
    workers inherit it (fork) or receive it while being started (spawn,
    forkserver), so their increments reach the main process. Lock-free (a
    lock belongs to one start method): the samples skipped are exact; two
    workers skipping the same sample at the same instant could count one
    skip. A deep copy (e.g. of a config holding the dataset) is a fresh,
    independent record.

    Args:
        size (int): Number of samples.
    """

    def __init__(self, size: int) -> None:
        self._array = multiprocessing.RawArray('i', max(size, 1))

    def __deepcopy__(self, memo) -> 'SkipCounts':
        return SkipCounts(len(self._array))

    def __getitem__(self, idx: int) -> int:
        return self._array[idx]

    def add(self, idx: int) -> None:
        """Count one skip of sample ``idx``."""
        self._array[idx] += 1

    def reset(self) -> None:
        """Set every count to zero."""
        for i in range(len(self._array)):
            self._array[i] = 0


@DATASETS.register_module()
class CheckedVideoDataset(VideoDataset):
    """``VideoDataset`` that names broken videos, or skips and counts them.

    Every plain ``DecordInit`` of the pipeline is replaced by
    :class:`~tsdistill.datasets.transforms.CheckedDecordInit` (same
    arguments): truncated files are named instead of crashing decord, and
    local files are opened by path.

    Args:
        *args: ``VideoDataset`` arguments (``ann_file``, ``pipeline``).
        skip_broken (bool): In training (``test_mode=False``), skip a video
            that cannot be opened or decoded instead of stopping; ignored in
            test mode. Defaults to ``False``.
        **kwargs: ``VideoDataset`` keyword arguments.

    Raises:
        FileNotFoundError: ``ann_file`` does not exist (the message lists
            the lists next to it).
        ValueError: ``ann_file`` lists no video, or ``num_classes`` (a
            ``VideoDataset`` argument; give the model head's) differs from
            the number of names in the ``classes.txt`` beside the list.
        AnnotationListError: A line mmaction2 cannot parse, or a label out
            of range for ``num_classes`` or ``classes.txt`` (the message
            names the list and the lines).
    """

    def __init__(self, *args, skip_broken: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.skip_broken = bool(skip_broken) and not self.test_mode
        transforms = self.pipeline.transforms
        for i, transform in enumerate(transforms):
            if type(transform) is DecordInit:
                transforms[i] = CheckedDecordInit(
                    io_backend=transform.io_backend,
                    num_threads=transform.num_threads,
                    **transform.kwargs)
        # workers write, the hook reads (in the main process)
        self._skips = SkipCounts(len(self))

    def load_data_list(self) -> List[dict]:
        """Read the list; a missing or empty one is an error naming it.

        Every line is checked first (:func:`check_list_lines`) against the
        number of classes: ``num_classes`` and / or the ``classes.txt``
        beside the list, which must agree.
        """
        if not exists(self.ann_file):
            folder = osp.dirname(self.ann_file) or '.'
            found = sorted(
                n for n in os.listdir(folder)
                if n.endswith('.txt')) if osp.isdir(folder) else []
            raise FileNotFoundError(
                f'annotation list {self.ann_file} does not exist' +
                (f'; {folder} holds: {", ".join(found)}'
                 if found else f'; {folder} holds no .txt list'))
        num_classes, source = self._num_classes()
        check_list_lines(self.ann_file, list_from_file(self.ann_file),
                         num_classes, self.delimiter, self.multi_class, source)
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(f'annotation list {self.ann_file} lists no '
                             'video')
        return data_list

    def _num_classes(self):
        """``(number of classes or None, where it comes from)``."""
        names = read_classes_file(self.ann_file)
        if names is None:
            return self.num_classes, 'the num_classes argument'
        path = osp.join(osp.dirname(self.ann_file), CLASSES_FILE)
        if self.num_classes is not None and self.num_classes != len(names):
            raise ValueError(
                f'{path} names {len(names)} classes, but num_classes is '
                f'{self.num_classes} (the model head\'s, if the config '
                f'passes it): the list {self.ann_file} was written for '
                'other classes than the model has')
        return len(names), f'{len(names)} lines in {path}'

    def prepare_data(self, idx: int):
        """Run the pipeline; name the file on failure (or skip it).

        Args:
            idx (int): Sample index.

        Returns:
            dict or None: The packed sample; ``None`` for a skipped video.

        Raises:
            VideoDecodeError: The video cannot be opened or decoded and
                skipping is off.
        """
        try:
            return super().prepare_data(idx)
        except Exception as error:
            filename = self.get_data_info(idx)['filename']
            if not is_decode_error(error):
                if hasattr(error, 'add_note'):  # Python >= 3.11
                    error.add_note(f'(while loading {filename})')
                raise
            detail = str(error)
            if detail.startswith(f'{filename}: '):
                detail = detail[len(filename) + 2:]
            message = (f'{filename}: cannot open or decode the video '
                       f'({type(error).__name__}: {detail})')
            if not self.skip_broken:
                raise VideoDecodeError(message) from error
            self._skips.add(idx)
            warnings.warn(f'skipping broken video {message}')
            return None  # BaseDataset draws another sample

    def skipped_videos(self) -> Dict[str, int]:
        """Files skipped since the last :meth:`reset_broken` and how often.

        Returns:
            dict[str, int]: ``{filename: number of skips}``, in dataset
            order.
        """
        return {
            self.get_data_info(i)['filename']: self._skips[i]
            for i in range(len(self)) if self._skips[i]
        }

    def broken_videos(self) -> List[str]:
        """Files skipped since the last :meth:`reset_broken`.

        Returns:
            list[str]: Each skipped file once, in dataset order.
        """
        return list(self.skipped_videos())

    def reset_broken(self) -> None:
        """Clear the record of skipped videos."""
        self._skips.reset()


def _unwrap(dataset) -> Optional[CheckedVideoDataset]:
    while dataset is not None and not isinstance(dataset, CheckedVideoDataset):
        dataset = getattr(dataset, 'dataset', None)
    return dataset


@HOOKS.register_module()
class BrokenVideoReportHook(Hook):
    """Report the videos skipped in each training epoch (count and files).

    Only a :class:`CheckedVideoDataset` with ``skip_broken=True`` skips.
    At the end of every training epoch the skips of all ranks are gathered;
    the number of skips and the files are logged (as a warning), and the
    number of distinct files is written to the visualizer's scalars
    (``vis_data/scalars.json``, TensorBoard, ...) as ``broken_videos``
    with the ``epoch`` it belongs to, at the step of the epoch's last
    iteration -- every epoch, the last one included, and 0 for an epoch
    without skips. It is also kept in the message hub's runtime info
    (``message_hub.get_info('broken_videos')``), not among its training
    scalars, which the iteration log lines of the next epoch would repeat.
    Add it with ``custom_hooks = [dict(type='BrokenVideoReportHook')]``.
    """

    priority = 'LOW'

    def before_train_epoch(self, runner) -> None:
        """Start the epoch's record afresh."""
        dataset = _unwrap(runner.train_dataloader.dataset)
        if dataset is not None:
            dataset.reset_broken()

    def after_train_epoch(self, runner) -> None:
        """Log the epoch's skipped videos."""
        dataset = _unwrap(runner.train_dataloader.dataset)
        skipped = dataset.skipped_videos() if dataset is not None else {}
        if is_distributed():  # every rank calls this hook
            merged: Dict[str, int] = {}
            for part in all_gather_object(skipped):
                for name, n in part.items():
                    merged[name] = merged.get(name, 0) + n
            skipped = merged
        if dataset is None:
            return
        epoch = runner.epoch + 1
        runner.message_hub.update_info('broken_videos', len(skipped))
        runner.visualizer.add_scalars(
            dict(broken_videos=len(skipped), epoch=epoch), step=runner.iter)
        if skipped:
            print_log(
                f'epoch {epoch}: skipped {len(skipped)} broken '
                f'video(s) {sum(skipped.values())} time(s), each replaced '
                'by another sample: ' +
                ', '.join(f'{name} (x{n})' for name, n in skipped.items()),
                logger='current',
                level=30)
