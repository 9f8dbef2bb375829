"""The HDF5 file of a training callback: one row of attributions per logged epoch.

Layout: ``/attributions/<method>`` ``(epochs, samples) + sample shape`` float32, ``/epochs``
(the Keras epoch of each row, int64), ``/metrics/<metric>/<key>`` ``(epochs, samples, ...)``,
the probe set ``/xs`` and ``/ys`` (when given); attributes ``job`` (JSON:
method, parameters, probe set digests, metrics), ``colour_limit``, ``versions``, ``started``,
``updated``. Datasets are chunked one epoch per chunk and compressed like the batch store's.

A row is appended to every dataset first and to ``/epochs`` last, then the file is flushed; the
length of ``/epochs`` counts the complete rows, and opening a file trims anything beyond it (an
epoch cut short). A kill while HDF5 writes its metadata can still damage the file, which is
then reported by :func:`~deepexplain.batch.store.open_hdf5` and left as it is. Opening an
existing file checks that it was made for the same job.
"""
import json
import os
import platform

import h5py
import numpy as np

from ..batch.store import COMPRESSION, check_same_job, now, open_hdf5


def _versions():
    import tensorflow as tf

    from .. import __version__

    return json.dumps({"deepexplain": __version__, "tensorflow": tf.__version__, "numpy": np.__version__,
                       "h5py": h5py.__version__, "python": platform.python_version()}, sort_keys=True)


class EpochFile:
    """``append(epoch, outputs)`` rows to ``path``, created for ``job`` or continued if it exists.

    ``probes`` maps dataset names to arrays stored once (the probe set).
    """

    def __init__(self, path, job, probes):
        self.path = os.fspath(path)
        if os.path.exists(self.path):
            self.file = open_hdf5(self.path, "r+")
            try:
                check_same_job(self.path, json.loads(self.file.attrs["job"]), job)
            except BaseException:
                self.file.close()
                raise
            self._trim()
        else:
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            self.file = open_hdf5(self.path, "w")
            self.file.attrs["job"] = json.dumps(job, sort_keys=True)
            self.file.attrs["versions"] = _versions()
            self.file.attrs["started"] = now()
            for name, array in probes.items():
                self.file[name] = array
            self.file.create_dataset("epochs", (0,), np.int64, maxshape=(None,), chunks=(1024,))
            self.file.flush()

    def __len__(self):
        return len(self.file["epochs"])

    @property
    def last_epoch(self):
        """The Keras epoch of the last row, or None for an empty file."""
        return int(self.file["epochs"][-1]) if len(self) else None

    @property
    def colour_limit(self):
        return float(self.file.attrs["colour_limit"]) if "colour_limit" in self.file.attrs else None

    @colour_limit.setter
    def colour_limit(self, value):
        self.file.attrs["colour_limit"] = float(value)

    def _rows(self):
        """The datasets with one row per epoch, ``/epochs`` excepted."""
        names = []

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.maxshape and obj.maxshape[0] is None and name != "epochs":
                names.append(name)

        self.file.visititems(visit)
        return names

    def _trim(self):
        n = len(self)
        for name in self._rows():
            if len(self.file[name]) != n:
                self.file[name].resize(n, axis=0)

    def append(self, epoch, outputs):
        """Add one row: ``outputs`` maps dataset paths to arrays (one epoch's values)."""
        n = len(self)
        for name, value in outputs.items():
            value = np.asarray(value)
            if name not in self.file:
                self.file.create_dataset(name, (n,) + value.shape, value.dtype, maxshape=(None,) + value.shape,
                                         chunks=(1,) + value.shape, **COMPRESSION)
            dataset = self.file[name]
            if dataset.shape[1:] != value.shape:
                raise ValueError(f"out: {self.path} holds {name} rows of shape {dataset.shape[1:]}, got {value.shape}")
            dataset.resize(n + 1, axis=0)
            dataset[n] = value
        self.file["epochs"].resize(n + 1, axis=0)
        self.file["epochs"][n] = epoch
        self.file.attrs["updated"] = now()
        self.file.flush()

    def close(self):
        if self.file.id.valid:
            self.file.close()
