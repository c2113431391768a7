# Copyright (c) tsdistill authors. All rights reserved.
"""Checks of numeric and boolean settings; the errors name the setting.

Every function takes the setting's name and its value and returns the value
(as ``float``, ``int`` or ``bool``) or raises an error naming both: a
``TypeError`` for a value of the wrong kind (a string, ``None``, a bool
where a number is expected, a number where a bool is), a ``ValueError`` for
a number out of range, NaN or infinity included.
"""
import math
import numbers
from typing import Any


def real_number(name: str, value: Any) -> float:
    """``float(value)``, a finite real number (not a bool).

    Args:
        name (str): The setting, named in the error.
        value: Its value: an ``int``, ``float`` or numpy scalar.

    Returns:
        float: The value.

    Raises:
        TypeError: ``value`` is not a real number, or is a bool.
        ValueError: It is NaN or infinite.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f'{name} must be a number, got {value!r}')
    if not math.isfinite(value):
        raise ValueError(f'{name} must be a finite number, got {value}')
    return float(value)


def positive(name: str, value: Any) -> float:
    """``float(value)``, a finite number > 0; see :func:`real_number`."""
    number = real_number(name, value)
    if number <= 0:
        raise ValueError(f'{name} must be > 0, got {value}')
    return number


def non_negative(name: str, value: Any) -> float:
    """``float(value)``, a finite number >= 0; see :func:`real_number`."""
    number = real_number(name, value)
    if number < 0:
        raise ValueError(f'{name} must be >= 0, got {value}')
    return number


def positive_int(name: str, value: Any) -> int:
    """``int(value)``, an integer >= 1 (not a bool).

    Raises:
        TypeError: ``value`` is not an integer (``2.0`` is not), or is a
            bool.
        ValueError: It is < 1.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f'{name} must be an integer, got {value!r}')
    if value < 1:
        raise ValueError(f'{name} must be >= 1, got {value}')
    return int(value)


def boolean(name: str, value: Any) -> bool:
    """``value`` if it is ``True`` or ``False``.

    Strings (``'no'``, ``'False'``) and numbers are refused rather than
    read by their truth value.

    Raises:
        TypeError: ``value`` is not a bool.
    """
    if not isinstance(value, bool):
        raise TypeError(f'{name} must be True or False, got {value!r}')
    return value
