# Copyright (c) tsdistill authors. All rights reserved.
"""Content digests of files, to key a finished run on what it read."""
import hashlib

_CHUNK = 1 << 20


def file_digest(path: str) -> str:
    """The SHA-256 of a file's content, read in chunks.

    Args:
        path (str): The file.

    Returns:
        str: The hex digest.
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()
