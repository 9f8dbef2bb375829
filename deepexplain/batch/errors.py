"""Errors of batch runs, each with the exit code the command returns for it.

| code | meaning |
|---|---|
| 0 | done (or the output was already complete) |
| 1 | unexpected internal error (a bug: rerun with ``--debug`` and report it) |
| 2 | usage error: unknown option, missing argument |
| 3 | bad input: model, data, labels, method or parameters |
| 4 | output conflict: ``--out`` exists without ``--resume``/``--overwrite``, or a resume of another job |
| 5 | the output file is damaged (unreadable, truncated, corrupted chunk) |
| 130 | interrupted (Ctrl-C) |
"""
from .sources import DataError


class BatchError(Exception):
    exit_code = 1


class InputError(BatchError, DataError):
    """A model, data file or parameter that cannot be used."""

    exit_code = 3


class OutputConflict(BatchError):
    """The output exists and may not be written (or belongs to another job)."""

    exit_code = 4


class DamagedOutput(BatchError):
    """The output file cannot be read or fails its checksums; it is never overwritten."""

    exit_code = 5


def exit_code(error):
    """The command's exit code for ``error``."""
    if isinstance(error, BatchError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return 130
    if isinstance(error, (DataError, ValueError, TypeError)):
        return InputError.exit_code
    return 1
