"""What an output file holds and how far its run got."""
import json

import h5py

from .errors import DamagedOutput
from .store import open_hdf5


def info(path):
    """A dict: ``state``, ``rows_done``, ``n_rows``, the job, versions, times, and every
    dataset with its shape, dtype and attributes (metrics included)."""
    with open_hdf5(path) as f:
        if "job" not in f.attrs or "rows_done" not in f:
            raise DamagedOutput(f"out: {path} is an HDF5 file but not a deepexplain batch output")
        datasets = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                datasets[name] = {"shape": obj.shape, "dtype": str(obj.dtype),
                                  "attrs": {k: _plain(v) for k, v in obj.attrs.items()},
                                  "compression": obj.compression}

        try:
            f.visititems(visit)
            rows_done = int(f["rows_done"][()])
        except (OSError, KeyError, RuntimeError) as e:
            raise DamagedOutput(f"out: {path} cannot be read ({' '.join(str(e).split())})") from None
        attrs = {k: _plain(v) for k, v in f.attrs.items()}
    return {
        "path": path,
        "state": attrs.pop("state"),
        "rows_done": rows_done,
        "n_rows": int(attrs.pop("n_rows")),
        "job": json.loads(attrs.pop("job")),
        "versions": json.loads(attrs.pop("versions", "{}")),
        "attrs": attrs,
        "datasets": datasets,
    }


def _plain(value):
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value.tolist() if hasattr(value, "tolist") else value
