"""The output file of a batch run, written so that a SIGKILL at any moment can be resumed.

While a run is going, every dataset is **contiguous and allocated when the file is created**
(``H5D_ALLOC_TIME_EARLY``): the file is made under a temporary name and renamed into place,
and from then on a chunk is committed with raw writes into space that already exists:

1. write the chunk's rows into every dataset, and its CRC-32 into ``chunk_crc``;
2. flush (and ``fsync``);
3. write ``rows_done`` (one 8-byte value in place);
4. flush (and ``fsync``).

No HDF5 metadata (object headers, B-trees, free space, the superblock) changes after the
file is created, so a kill can never leave the metadata half-written, which HDF5 itself does
not guard against. A kill before step 3 completes leaves ``rows_done`` at the previous chunk:
the partial rows are rewritten on resume. A kill during step 3 cannot split an aligned 8-byte
write. On resume the CRC of every done chunk is checked, so a damaged file is reported, never
silently continued or overwritten.

When the last chunk is done the file is **finalised**: copied, a chunk of rows at a time, into
chunked, compressed (gzip + shuffle, Fletcher-32 checksummed) datasets in a temporary file
that then replaces it atomically (``os.replace``), with ``state = "complete"`` and the end time.

**Disk space.** HDF5 cannot recover from a failed write (it may crash when the file is closed),
so it never meets a full disk: the running file's space is allocated on disk when it is
created (``posix_fallocate``), and so is an upper bound of the finalised file's before its
datasets are written. A full disk is reported then as :class:`~deepexplain.batch.errors.DiskFull`,
the temporary file is removed and the committed rows are kept (``--resume`` finalises them once
there is space).

Layout: ``/rows_done`` (int64 scalar), ``/chunk_crc`` (uint32 per chunk), one dataset per
output (``/attributions/<method>``, ``/targets``, ...), and attributes on the root: the job's
identity (JSON in ``job``), versions, ``started``, ``finished``, ``state``.
"""
import datetime
import json
import os
import zlib

import h5py
import numpy as np

from .errors import DamagedOutput, DiskFull, OutputConflict
from .lock import free_bytes, raise_if_disk_full, remove_file, reserve, temporary_path

COMPRESSION = {"compression": "gzip", "compression_opts": 4, "shuffle": True, "fletcher32": True}
FINAL_OVERHEAD = 1 << 16
"""Bytes added to the bound of a finalised file's size for its metadata, besides its attributes."""


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path):
    directory = os.path.dirname(os.path.abspath(path))
    try:
        _fsync(directory)
    except OSError:  # directories cannot be fsynced on some platforms
        pass


def open_hdf5(path, mode="r"):
    """``h5py.File(path, mode)``, with damaged files reported as :class:`DamagedOutput`."""
    try:
        return h5py.File(path, mode, locking=mode != "r")
    except BlockingIOError:
        raise OutputConflict(f"out: {path} is being written by another process") from None
    except OSError as e:
        message = " ".join(str(e).split())
        if "unable to lock" in message.lower() or "file locking" in message.lower():
            raise OutputConflict(f"out: {path} is being written by another process") from None
        raise DamagedOutput(f"out: {path} is not a readable HDF5 file ({message}); it was left as it is") from None


def _contiguous(group, name, shape, dtype):
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.CONTIGUOUS)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    return group.create_dataset(name, shape=shape, dtype=dtype, dcpl=dcpl, track_times=False)


def dataset_names(h5file):
    """Paths of the output datasets (everything but the bookkeeping)."""
    names = []
    h5file.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    return [n for n in names if n not in ("rows_done", "chunk_crc") and not n.startswith("metrics/")]


class RunFile:
    """An output file being written: ``commit(start, stop, outputs)`` one chunk at a time."""

    def __init__(self, path, h5file, fsync=True):
        self.path = path
        self.file = h5file
        self.fsync = fsync
        self.chunk_rows = int(h5file.attrs["chunk_rows"])
        self.n_rows = int(h5file.attrs["n_rows"])

    @property
    def rows_done(self):
        return int(self.file["rows_done"][()])

    @property
    def job(self):
        return json.loads(self.file.attrs["job"])

    @classmethod
    def create(cls, path, job, n_rows, chunk_rows, outputs, attrs, fsync=True):
        """A new run file for ``job``; ``outputs`` maps dataset paths to ``(row_shape, dtype, attrs)``."""
        tmp = temporary_path(path, "tmp")
        try:
            with h5py.File(tmp, "w") as f:
                f.attrs["job"] = json.dumps(job, sort_keys=True)
                f.attrs["n_rows"] = n_rows
                f.attrs["chunk_rows"] = chunk_rows
                f.attrs["state"] = "running"
                f.attrs["started"] = now()
                for key, value in attrs.items():
                    f.attrs[key] = value
                for name, (row_shape, dtype, dataset_attrs) in outputs.items():
                    dataset = _contiguous(f, name, (n_rows,) + tuple(row_shape), dtype)
                    for key, value in dataset_attrs.items():
                        dataset.attrs[key] = value
                _contiguous(f, "chunk_crc", (-(-n_rows // chunk_rows),), np.uint32)
                _contiguous(f, "rows_done", (), np.int64)[()] = 0
            reserve(tmp, os.path.getsize(tmp), path)
            if fsync:
                _fsync(tmp)
            os.replace(tmp, path)
        except BaseException as error:
            remove_file(tmp)
            raise_if_disk_full(error, path)
            raise
        if fsync:
            _fsync_dir(path)
        return cls(path, open_hdf5(path, "r+"), fsync)

    @classmethod
    def resume(cls, path, job, fsync=True):
        """The run file at ``path``, after checking it belongs to ``job`` and its done chunks are intact."""
        h5file = open_hdf5(path, "r+")
        try:
            check_same_job(path, json.loads(h5file.attrs["job"]), job)
            run = cls(path, h5file, fsync)
            run.verify()
        except BaseException:
            h5file.close()
            raise
        return run

    def verify(self):
        """Raise :class:`DamagedOutput` unless every done chunk matches its CRC."""
        verify_chunks(self.path, self.file)

    def commit(self, start, stop, outputs):
        """Write rows ``start:stop`` of every output, then mark them done (see the module docstring)."""
        if start != self.rows_done:
            raise RuntimeError(f"chunk {start}:{stop} committed out of order (rows_done={self.rows_done})")
        names = dataset_names(self.file)
        if sorted(outputs) != sorted(names):
            raise RuntimeError(f"chunk outputs {sorted(outputs)} differ from the file's datasets {names}")
        for name in names:
            self.file[name][start:stop] = outputs[name]
        self.file["chunk_crc"][start // self.chunk_rows] = chunk_crc(self.file, start, stop, outputs)
        self._flush()
        self.file["rows_done"][()] = stop
        self._flush()

    def _flush(self):
        self.file.flush()
        if self.fsync:
            os.fsync(self.file.id.get_vfd_handle())

    def final_size_bound(self):
        """An upper bound of the finalised file's size: every dataset stored raw (deflate never
        grows data by more than 0.1%), 256 bytes per chunk and dataset (chunk index, filter
        framing), twice the attributes' text and :data:`FINAL_OVERHEAD` for the other metadata."""
        names = dataset_names(self.file) + ["chunk_crc", "rows_done"]
        raw = sum(self.file[name].size * self.file[name].dtype.itemsize for name in names)
        chunks = -(-self.n_rows // self.chunk_rows)
        attributes = [self.file.attrs] + [self.file[name].attrs for name in names]
        text = sum(len(str(value)) for attrs in attributes for value in attrs.values())
        return raw + raw // 1000 + 256 * chunks * len(names) + 2 * text + FINAL_OVERHEAD

    def finalise(self):
        """Rewrite the finished file with compressed chunked datasets, atomically; closes it.
        Raises :class:`DiskFull` (the file left as it is) when the copy may not fit on the disk."""
        tmp = temporary_path(self.path, "final")
        needed = self.final_size_bound()
        free = free_bytes(os.path.dirname(os.path.abspath(self.path)))
        if free < needed:
            raise DiskFull(f"out: no space left on the device of {self.path} to finalise it ({free} bytes free, "
                           f"{needed} needed); its {self.n_rows} rows are kept: free some space and run again "
                           "with --resume")
        try:
            with h5py.File(tmp, "w") as out:
                for key, value in self.file.attrs.items():
                    out.attrs[key] = value
                out.attrs["state"] = "complete"
                out.attrs["finished"] = now()
            reserve(tmp, needed, self.path)
            with h5py.File(tmp, "r+") as out:
                self._copy_compressed(out)
            if self.fsync:
                _fsync(tmp)
            self.file.close()
            os.replace(tmp, self.path)
        except BaseException as error:
            remove_file(tmp)
            raise_if_disk_full(error, self.path)
            raise
        if self.fsync:
            _fsync_dir(self.path)

    def _copy_compressed(self, out):
        rows = self.chunk_rows
        for name in dataset_names(self.file):
            source = self.file[name]
            chunks = (min(rows, self.n_rows),) + source.shape[1:]
            target = out.create_dataset(name, source.shape, source.dtype, chunks=chunks, **COMPRESSION)
            for key, value in source.attrs.items():
                target.attrs[key] = value
            for start in range(0, self.n_rows, rows):
                target[start:start + rows] = source[start:start + rows]
        out["chunk_crc"] = self.file["chunk_crc"][()]
        out["rows_done"] = np.int64(self.n_rows)

    def close(self):
        if self.file.id.valid:
            self.file.close()


def check_same_job(path, recorded, job):
    """Raise :class:`OutputConflict` naming what differs between the file's job and this one."""
    if recorded == job:
        return
    keys = sorted(set(recorded) | set(job))
    differences = [f"{k}: file has {recorded.get(k)!r}, this run has {job.get(k)!r}"
                   for k in keys if recorded.get(k) != job.get(k)]
    raise OutputConflict(f"out: cannot resume {path}, it was made by another job ({'; '.join(differences)[:600]})")


def chunk_crc(h5file, start, stop, outputs=None):
    """CRC-32 of rows ``start:stop`` of every output dataset of ``h5file`` (or of ``outputs``, the rows to write)."""
    crc = 0
    for name in dataset_names(h5file):
        rows = outputs[name] if outputs is not None else h5file[name][start:stop]
        crc = zlib.crc32(np.ascontiguousarray(rows).tobytes(), crc)
    return crc


def verify_chunks(path, h5file):
    """Raise :class:`DamagedOutput` unless every done chunk of the output ``h5file`` can be read
    (Fletcher-32, in a finalised file) and matches its CRC."""
    chunk_rows, n_rows = int(h5file.attrs["chunk_rows"]), int(h5file.attrs["n_rows"])
    done, crcs = int(h5file["rows_done"][()]), h5file["chunk_crc"][()]
    if not 0 <= done <= n_rows or (done % chunk_rows and done != n_rows):
        raise DamagedOutput(f"out: {path} records rows_done={done}, not a chunk boundary of {n_rows} rows")
    for index, start in enumerate(range(0, done, chunk_rows)):
        stop = min(start + chunk_rows, n_rows)
        try:
            intact = chunk_crc(h5file, start, stop) == crcs[index]
        except OSError as e:  # a compressed chunk failing its Fletcher-32 checksum or its decompression
            raise DamagedOutput(f"out: {path} is corrupted: rows {start}-{stop - 1} cannot be read "
                                f"({' '.join(str(e).split())[:200]}); it was left as it is") from None
        if not intact:
            raise DamagedOutput(f"out: {path} is corrupted: rows {start}-{stop - 1} do not match their checksum; "
                                "it was left as it is")


def verify_file(path):
    """Raise :class:`DamagedOutput` unless the output file at ``path`` is readable and every done
    chunk is intact (see :func:`verify_chunks`)."""
    with open_hdf5(path) as f:
        if "job" not in f.attrs or "rows_done" not in f or "chunk_crc" not in f:
            raise DamagedOutput(f"out: {path} is an HDF5 file but not a deepexplain batch output")
        verify_chunks(path, f)


def file_state(path):
    """``(state, job, rows_done, n_rows)`` of an output file, read without locking."""
    with open_hdf5(path) as f:
        if "job" not in f.attrs or "rows_done" not in f:
            raise DamagedOutput(f"out: {path} is an HDF5 file but not a deepexplain batch output")
        return str(f.attrs["state"]), json.loads(f.attrs["job"]), int(f["rows_done"][()]), int(f.attrs["n_rows"])
