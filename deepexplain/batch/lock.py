"""One process owns an output at a time, from its creation to its final rename.

The owner holds ``flock`` on ``OUT.lock`` beside the output, with its PID written in it; the
operating system releases the lock when the process ends, however it ends, so a run killed by
SIGKILL never blocks the next one. The owner removes the lock file when it is done; a lock file
left by a killed process is taken over by the next run. Temporary files (``OUT.tmp-PID``,
``OUT.final-PID``) are removed on every exit path, and those left by killed processes are
removed by the next owner.
"""
import errno
import fcntl
import glob
import os

from .errors import DiskFull, OutputConflict, OutputPathError

TEMPORARY_KINDS = ("tmp", "final", "metrics")
FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def check_output_directory(out):
    """Raise :class:`OutputPathError` unless the directory of ``out`` exists and is writable."""
    directory = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(directory):
        raise OutputPathError(f"out: the directory {directory} of {out} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputPathError(f"out: cannot write in the directory {directory} of {out} (read-only or no permission)")


def raise_if_disk_full(error, path, needed=None):
    """Raise :class:`DiskFull` naming ``path`` when ``error`` says that no space is left on its device."""
    if isinstance(error, OSError) and (error.errno in FULL_ERRNOS or "no space left" in str(error).lower()):
        free = free_bytes(os.path.dirname(os.path.abspath(path)))
        wanted = f", {needed} needed" if needed is not None else ""
        raise DiskFull(f"out: no space left on the device of {path} ({free} bytes free{wanted}); "
                       "free some space and run again with --resume") from None


def free_bytes(directory):
    """Bytes an unprivileged process may still write on the device holding ``directory``."""
    stats = os.statvfs(directory)
    return stats.f_bavail * stats.f_frsize


def reserve(path, size, output):
    """Allocate ``size`` bytes of ``path`` on disk (``posix_fallocate``), so that later writes into
    them cannot fail for want of space; raises :class:`DiskFull` naming ``output`` when they do not fit."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as error:
        if error.errno in (errno.EOPNOTSUPP, errno.EINVAL):  # file systems without preallocation
            return
        raise_if_disk_full(error, output, size)
        raise
    finally:
        os.close(fd)


def temporary_path(out, kind):
    """``OUT.KIND-PID``: a temporary file of this process for ``out``."""
    return f"{out}.{kind}-{os.getpid()}"


def remove_file(path):
    """Remove ``path`` if it exists."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def remove_stale_temporaries(out):
    """Remove the temporary files of ``out`` whose process is gone; returns their paths."""
    removed = []
    for path in glob.glob(glob.escape(out) + ".*-*"):
        kind, _, pid = path[len(out) + 1:].rpartition("-")
        if kind in TEMPORARY_KINDS and pid.isdigit() and not process_alive(int(pid)):
            remove_file(path)
            removed.append(path)
    return removed


def process_alive(pid):
    """Whether another process with this PID runs (this process's own leftovers count as gone)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        pass
    return True


class OutputLock:
    """``with OutputLock(out):`` this process owns ``out``; another owner makes it raise
    :class:`OutputConflict` naming that process's PID."""

    def __init__(self, out):
        self.out = os.fspath(out)
        self.path = self.out + ".lock"
        self.fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()

    def acquire(self):
        if os.path.isdir(self.out):
            raise OutputPathError(f"out: expected a file name, {self.out} is a directory")
        check_output_directory(self.out)
        while self.fd is None:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise OutputConflict(
                    f"out: {self.out} is being written by another process (PID {owner}); wait for it to end or stop it"
                ) from None
            if self._is_current(fd):
                self.fd = fd
            else:  # its previous owner removed it between our open and our lock: take the new one
                os.close(fd)
        try:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as error:
            self.release()
            raise_if_disk_full(error, self.path)
            raise

    def _open(self):
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise_if_disk_full(error, self.path)
            raise OutputPathError(f"out: cannot create {self.path} beside the output ({error.strerror})") from None

    def _is_current(self, fd):
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            return False
        opened = os.fstat(fd)
        return (current.st_dev, current.st_ino) == (opened.st_dev, opened.st_ino)

    def release(self):
        """Remove the lock file, then release the lock."""
        if self.fd is None:
            return
        remove_file(self.path)
        os.close(self.fd)
        self.fd = None
