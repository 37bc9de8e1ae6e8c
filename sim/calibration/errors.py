"""The one error of bad calibration input, naming the file, row and column."""

from __future__ import annotations


class CrmError(Exception):
    """An export or mapping file that cannot be used; ``str()`` is one line for people.

    Attributes:
        file: the file at fault.
        row: the row, counted as a spreadsheet does (the header is row 1), if any.
        column: the column's header (or a mapping file's key), if any.
        problem: what is wrong and what would be right.
    """

    def __init__(self, file: str, row: int | None, column: str | None, problem: str) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.problem = problem
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: {problem}")
