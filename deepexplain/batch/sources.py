"""Data files read a chunk of rows at a time, never whole.

* ``data.npy``: memory-mapped;
* ``data.npz`` with ``array=NAME`` (or ``data.npz:NAME``): the member's ``.npy`` header is parsed
  and its rows are memory-mapped when the member is stored, read from the decompressing
  stream when it is deflated;
* ``file.h5:/path/to/dataset``: an HDF5 dataset, read by slices.

``open_data(spec)`` returns a :class:`DataSource`: ``shape``, ``dtype``, ``read(start, stop)``
(float32 rows) and ``sha256()`` of the file.
"""
import hashlib
import mmap
import os
import zipfile

import h5py
import numpy as np

HASH_BLOCK = 1 << 22


class DataError(ValueError):
    """A data or model file that cannot be used (missing, unreadable, wrong shape)."""


def file_sha256(path):
    """SHA-256 of a file, or of a directory's files (relative names and contents, sorted)."""
    digest = hashlib.sha256()
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                digest.update(os.path.relpath(full, path).encode())
                _update(digest, full)
    else:
        _update(digest, path)
    return digest.hexdigest()


def _update(digest, path):
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(HASH_BLOCK), b""):
            digest.update(block)


class DataSource:
    """Rows of one array in a file; ``read(start, stop)`` returns them as float32."""

    def __init__(self, spec, path, shape, dtype):
        self.spec = spec
        self.path = path
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        if len(self.shape) < 1 or self.shape[0] < 1:
            raise DataError(f"data: expected an array with at least one row, got shape {self.shape} in {spec}")
        if self.dtype.kind not in "biuf":
            raise DataError(f"data: expected a numeric array, got dtype {self.dtype} in {spec}")

    def __len__(self):
        return self.shape[0]

    def read(self, start, stop):
        return np.ascontiguousarray(self._rows(start, stop), dtype=np.float32)

    def sha256(self):
        return file_sha256(self.path)

    def close(self):
        """Release the file."""


def read_mapped(array, start, stop):
    """A copy of rows ``start:stop`` of a memory-mapped array, after which the pages of the rows
    read are given back (``MADV_DONTNEED``), so that the file's pages do not pile up in the
    process's resident memory as a run reads on."""
    rows = np.array(array[start:stop])
    mapping = getattr(array, "_mmap", None)
    if mapping is not None and hasattr(mapping, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
        row_bytes = rows[0].nbytes if len(rows) else 0
        base = array.offset % mmap.ALLOCATIONGRANULARITY
        first = (base + start * row_bytes) // mmap.PAGESIZE * mmap.PAGESIZE
        last = (base + stop * row_bytes) // mmap.PAGESIZE * mmap.PAGESIZE
        if last > first:
            mapping.madvise(mmap.MADV_DONTNEED, first, last - first)
    return rows


class NpySource(DataSource):
    def __init__(self, spec, path):
        array = np.load(path, mmap_mode="r", allow_pickle=False)
        self._array = array
        super().__init__(spec, path, array.shape, array.dtype)

    def _rows(self, start, stop):
        return read_mapped(self._array, start, stop)

    def close(self):
        self._array = None


class NpzSource(DataSource):
    def __init__(self, spec, path, name):
        self._zip = zipfile.ZipFile(path)
        members = [n[:-4] for n in self._zip.namelist() if n.endswith(".npy")]
        if name is None:
            if len(members) != 1:
                raise DataError(f"data: {path} holds the arrays {members}; name one as {path}:NAME")
            name = members[0]
        if name not in members:
            raise DataError(f"data: expected an array named {name!r} in {path}, it holds {members}")
        self._info = self._zip.getinfo(name + ".npy")
        with self._zip.open(self._info) as member:
            version = np.lib.format.read_magic(member)
            formats = np.lib.format
            read_header = formats.read_array_header_1_0 if version == (1, 0) else formats.read_array_header_2_0
            shape, fortran, dtype = read_header(member)
            self._offset = member.tell()
        if fortran or dtype.hasobject:
            raise DataError(f"data: expected a C-ordered numeric array {name!r} in {path}")
        super().__init__(spec, path, shape, dtype)
        self._row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize
        self._stream = None
        self._mmap = None
        if self._info.compress_type == zipfile.ZIP_STORED:
            with open(path, "rb") as f:
                f.seek(self._info.header_offset + 26)
                name_len, extra_len = np.frombuffer(f.read(4), "<u2")
            start = self._info.header_offset + 30 + int(name_len) + int(extra_len) + self._offset
            self._mmap = np.memmap(path, dtype, "r", offset=start, shape=self.shape)

    def _rows(self, start, stop):
        if self._mmap is not None:
            return read_mapped(self._mmap, start, stop)
        if self._stream is None or self._stream_pos > start:
            if self._stream is not None:
                self._stream.close()
            self._stream = self._zip.open(self._info)
            self._stream_pos = 0
        self._stream.seek(self._offset + start * self._row_bytes)
        raw = self._stream.read((stop - start) * self._row_bytes)
        self._stream_pos = stop
        return np.frombuffer(raw, self.dtype).reshape((stop - start,) + self.shape[1:])

    def close(self):
        if self._stream is not None:
            self._stream.close()
        self._mmap = None
        self._zip.close()


class Hdf5Source(DataSource):
    def __init__(self, spec, path, name):
        try:
            self._file = h5py.File(path, "r")
        except OSError as e:
            raise DataError(f"data: cannot read {path} as HDF5 ({e})") from None
        if name not in self._file or not isinstance(self._file[name], h5py.Dataset):
            self._file.close()
            raise DataError(f"data: expected a dataset {name!r} in {path}")
        self._dataset = self._file[name]
        super().__init__(spec, path, self._dataset.shape, self._dataset.dtype)

    def _rows(self, start, stop):
        return self._dataset[start:stop]

    def close(self):
        self._file.close()


def split_spec(spec):
    """``(path, member)`` of ``file.npz:NAME`` or ``file.h5:/path``; member None for a plain path."""
    spec = os.fspath(spec)
    if os.path.exists(spec):
        return spec, None
    path, sep, member = spec.rpartition(":")
    if sep and path and os.path.exists(path):
        return path, member
    return spec, None


def open_data(spec, array=None):
    """The :class:`DataSource` for ``spec`` (see the module docstring); ``array`` names an npz member."""
    path, member = split_spec(spec)
    member = member if member is not None else array
    if not os.path.isfile(path):
        raise DataError(f"data: no such file {path!r}")
    lower = path.lower()
    try:
        if lower.endswith(".npy"):
            return NpySource(spec, path)
        if lower.endswith(".npz"):
            return NpzSource(spec, path, member)
        if lower.endswith((".h5", ".hdf5", ".he5")):
            if member is None:
                raise DataError(f"data: name the dataset of {path} as {path}:/path/to/dataset")
            return Hdf5Source(spec, path, member)
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise DataError(f"data: cannot read {spec}: {e}") from None
    raise DataError(f"data: expected a .npy, .npz or .h5 file, got {path!r}")
