# Copyright (c) tsdistill authors. All rights reserved.
"""Errors that name what replaced a removed constructor argument."""
from typing import Dict, Mapping


def refuse_unknown_arguments(owner: str, kwargs: Mapping[str, object],
                             replaced: Dict[str, str]) -> None:
    """Raise if ``kwargs`` (a constructor's ``**kwargs``) is not empty.

    Args:
        owner (str): The class, named first in the message.
        kwargs (Mapping): The arguments the constructor did not take.
        replaced (dict): ``{removed argument: what to use instead}``.

    Raises:
        TypeError: With the replacements of the removed arguments given,
            or else the names of the unexpected ones.
    """
    fixes = [replaced[k] for k in kwargs if k in replaced]
    if fixes:
        raise TypeError(f'{owner}: ' + '; '.join(fixes))
    if kwargs:
        raise TypeError(f'{owner} got unexpected arguments {sorted(kwargs)}')
