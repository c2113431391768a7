# Copyright (c) tsdistill authors. All rights reserved.
"""Markdown (GitHub) tables, as the result tables print them."""
from typing import Iterable, Sequence


def table_row(cells: Sequence[str]) -> str:
    """``| a | b | c |`` (each cell through ``str``)."""
    return '| ' + ' | '.join(map(str, cells)) + ' |'


def markdown_table(header: Sequence[str],
                   rows: Iterable[Sequence[str]]) -> str:
    """A header row, a ``|---|`` separator per column, then the rows.

    Args:
        header (Sequence[str]): Column titles.
        rows (Iterable[Sequence[str]]): Rows of formatted cells.

    Returns:
        str: The table's lines, joined by newlines (no trailing one).
    """
    lines = [table_row(header), '|' + '---|' * len(header)]
    lines += [table_row(row) for row in rows]
    return '\n'.join(lines)
