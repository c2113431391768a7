# Copyright (c) tsdistill authors. All rights reserved.
"""mmaction2's ``VideoDataset`` with named errors for broken videos.

mmaction2's ``DecordInit`` reads the file into memory before decord sees
it, so a broken video fails with an error that does not say which file it
was. :class:`CheckedVideoDataset` re-raises any pipeline failure as
:class:`VideoDecodeError` naming the file (default), or, with
``skip_broken=True`` during training, skips the video: mmengine's
``BaseDataset`` then draws another index, the skip is warned about at once,
counted in shared memory (so it works with DataLoader worker processes),
and :class:`BrokenVideoReportHook` reports the count and the files at the
end of every epoch. Test-time datasets never skip: every test video is
evaluated or the run stops with the file's name.
"""
import multiprocessing
import warnings
from typing import List, Optional

from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS, HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log


class VideoDecodeError(RuntimeError):
    """A video could not be opened or decoded; the message names it."""


@DATASETS.register_module()
class CheckedVideoDataset(VideoDataset):
    """``VideoDataset`` that names broken videos, or skips and counts them.

    Args:
        skip_broken (bool): In training (``test_mode=False``), skip a video
            that cannot be read instead of stopping. Defaults to ``False``.
        **kwargs: ``VideoDataset`` arguments.
    """

    def __init__(self, *args, skip_broken: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.skip_broken = bool(skip_broken) and not self.test_mode
        # one flag per sample, in shared memory: workers write, hook reads
        self._broken = multiprocessing.Array('b', max(len(self), 1))

    def prepare_data(self, idx: int):
        """Run the pipeline; name the file on failure (or skip it)."""
        try:
            return super().prepare_data(idx)
        except Exception as error:
            filename = self.get_data_info(idx)['filename']
            message = (f'{filename}: cannot open or decode the video '
                       f'({type(error).__name__}: {error})')
            if not self.skip_broken:
                raise VideoDecodeError(message) from error
            self._broken[idx] = 1
            warnings.warn(f'skipping broken video {message}')
            return None  # BaseDataset draws another sample

    def broken_videos(self) -> List[str]:
        """Files skipped since the last :meth:`reset_broken`."""
        return [
            self.get_data_info(i)['filename'] for i in range(len(self))
            if self._broken[i]
        ]

    def reset_broken(self) -> None:
        """Clear the record of skipped videos."""
        for i in range(len(self._broken)):
            self._broken[i] = 0


def _unwrap(dataset) -> Optional[CheckedVideoDataset]:
    while dataset is not None and not isinstance(dataset, CheckedVideoDataset):
        dataset = getattr(dataset, 'dataset', None)
    return dataset


@HOOKS.register_module()
class BrokenVideoReportHook(Hook):
    """Report the videos skipped in each training epoch (count and files).

    The report goes to the log at the end of the epoch and into the message
    hub as ``train/broken_videos`` (so it reaches the json log).
    """

    priority = 'LOW'

    def before_train_epoch(self, runner) -> None:
        dataset = _unwrap(runner.train_dataloader.dataset)
        if dataset is not None:
            dataset.reset_broken()

    def after_train_epoch(self, runner) -> None:
        dataset = _unwrap(runner.train_dataloader.dataset)
        if dataset is None:
            return
        broken = dataset.broken_videos()
        runner.message_hub.update_scalar('train/broken_videos', len(broken))
        if broken:
            print_log(
                f'epoch {runner.epoch}: skipped {len(broken)} broken '
                'video(s): ' + ', '.join(broken),
                logger='current',
                level=30)
