# Copyright (c) tsdistill authors. All rights reserved.
"""Transforms registered into mmaction2's ``TRANSFORMS``."""
from .decoded_video_cache import CachedDecordInit, DecodedVideo
from .loading import CheckedDecordInit

__all__ = ['CachedDecordInit', 'CheckedDecordInit', 'DecodedVideo']
