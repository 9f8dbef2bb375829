"""Errors of batch runs, each with the exit code the command returns for it.

| code | meaning |
|---|---|
| 0 | done (or the output was already complete) |
| 1 | unexpected internal error (a bug: rerun with ``--debug`` and report it) |
| 2 | usage error: unknown option, missing argument, an ``--out`` whose directory is missing or not writable |
| 3 | bad input: model, data, labels, method or parameters |
| 4 | output conflict: ``--out`` exists (no ``--resume``/``--overwrite``), another job's, or another process's |
| 5 | the output file is damaged (unreadable, truncated, corrupted chunk) |
| 6 | the disk is full (the path is named); the rows committed so far are kept: free space and ``--resume`` |
| 130 | interrupted (Ctrl-C or SIGTERM) |
"""
from .sources import DataError


class BatchError(Exception):
    exit_code = 1


class InputError(BatchError, DataError):
    """A model, data file or parameter that cannot be used."""

    exit_code = 3


class OutputPathError(BatchError):
    """The output cannot be created where it was asked for (missing or read-only directory)."""

    exit_code = 2


class OutputConflict(BatchError):
    """The output exists and may not be written (or belongs to another job, or another process writes it)."""

    exit_code = 4


class DamagedOutput(BatchError):
    """The output file cannot be read or fails its checksums; it is never overwritten."""

    exit_code = 5


class DiskFull(BatchError):
    """No space left on the device holding the output; what was committed is kept."""

    exit_code = 6


def exit_code(error):
    """The command's exit code for ``error``."""
    if isinstance(error, BatchError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return 130
    if isinstance(error, (DataError, ValueError, TypeError)):
        return InputError.exit_code
    return 1
