"""A batch run: read chunks of rows, compute them in-process or on Dask workers, commit them
in order to the output file, finalise it. ``run`` is what the ``deepexplain`` command calls."""
import contextlib
import json
import os
import platform

from tqdm.auto import tqdm

from ..validation import positive_int
from .errors import InputError, OutputConflict
from .lock import OutputLock, remove_stale_temporaries
from .sources import open_data
from .store import RunFile, file_state
from .worker import compute_chunk

DEFAULT_CHUNK_ROWS = 1024


def versions():
    """The versions that made a file (JSON)."""
    import h5py
    import keras
    import numpy
    import tensorflow

    from .. import __version__

    return json.dumps({"deepexplain": __version__, "tensorflow": tensorflow.__version__, "keras": keras.__version__,
                       "numpy": numpy.__version__, "h5py": h5py.__version__, "python": platform.python_version()})


def chunk_bounds(start, n_rows, chunk_rows):
    return [(s, min(s + chunk_rows, n_rows)) for s in range(start, n_rows, chunk_rows)]


def in_process(job, chunks, read):
    """Compute every chunk here, in order."""
    for start, stop in chunks:
        xs, labels = read(start, stop)
        yield start, stop, compute_chunk(job, xs, labels)


def on_dask(job, chunks, read, client, in_flight=None):
    """Compute chunks as Dask tasks, at most ``in_flight`` at a time, yielded in order.

    The client reads the rows and sends them with each task (workers need the model file
    only); each worker sets the job up once (:mod:`deepexplain.batch.worker`).
    """
    in_flight = in_flight or 2 * max(1, len(client.scheduler_info()["workers"]))
    pending = []
    chunks = iter(chunks)
    for bounds in chunks:
        xs, labels = read(*bounds)
        pending.append((bounds, client.submit(compute_chunk, job, xs, labels, pure=False)))
        if len(pending) >= in_flight:
            (start, stop), future = pending.pop(0)
            yield start, stop, future.result()
    for (start, stop), future in pending:
        yield start, stop, future.result()


@contextlib.contextmanager
def dask_client(workers=None, scheduler=None):
    """A Dask client: on a new local cluster of ``workers`` processes (loopback only), on the
    cluster at ``scheduler``, or None when neither is given."""
    if workers is None and scheduler is None:
        yield None
        return
    if workers is not None and scheduler is not None:
        raise InputError("workers: give either --workers (a local cluster) or --scheduler (an existing one), not both")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("workers: Dask is not installed; pip install 'deepexplain[dask]'") from None
    if scheduler is not None:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    import dask

    workers = positive_int("workers", workers)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": worker_environment(workers)}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=None, memory_limit=0) as cluster, Client(cluster) as client:
        yield client


def worker_environment(workers):
    """The environment Dask's nanny gives a local cluster's workers, made fit for TensorFlow:
    thread counts (1 by default, right for many NumPy tasks in parallel threads) become the
    worker's share of the cores, and glibc's trim threshold (lowered by default, which makes
    every large tensor a fresh mmap and its pages fault in again) goes back to glibc's own."""
    import dask

    defaults = dask.config.get("distributed.nanny.pre-spawn-environ", {})
    environ = {k: v for k, v in defaults.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    threads = max(1, (os.cpu_count() or 1) // workers)
    environ.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads)
    return environ


def run_job(job, data, out, labels=None, chunk_rows=DEFAULT_CHUNK_ROWS, resume=False, overwrite=False,
        workers=None, scheduler=None, client=None, progress=True, fsync=True):
    """Run ``job`` (an :class:`~deepexplain.batch.jobs.ExplainJob`, ``CemJob`` or ``CxplainJob``)
    over every row of ``data`` into the HDF5 file ``out``; returns ``out``.

    ``data`` and ``labels`` are ``.npy``/``.npz[:NAME]``/``file.h5:/path`` specs, read
    ``chunk_rows`` rows at a time. With ``resume``, an existing ``out`` of the same job continues
    where it stopped; without it (or ``overwrite``) an existing ``out`` is an error. ``workers``
    (a local cluster), ``scheduler`` (an address) or ``client`` (a ``distributed.Client``) run
    the chunks on Dask.

    The run owns ``out`` (:class:`~deepexplain.batch.lock.OutputLock`) from before it reads
    anything until the file is complete: another run on the same ``out`` is refused.
    """
    chunk_rows = positive_int("chunk_rows", chunk_rows)
    with OutputLock(out):
        remove_stale_temporaries(out)
        return _run_owned(job, data, out, labels, chunk_rows, resume, overwrite, workers, scheduler, client, progress,
                          fsync)


def _run_owned(job, data, out, labels, chunk_rows, resume, overwrite, workers, scheduler, client, progress, fsync):
    run_file = label_source = None
    source = open_data(data)
    try:
        label_source = open_data(labels) if labels is not None else None
        if getattr(job, "targets", None) == "labels" and label_source is None:
            raise InputError("labels: --targets labels needs --labels FILE")
        if label_source is not None and len(label_source) != len(source):
            raise InputError(f"labels: expected {len(source)} rows like the data, got {len(label_source)}")
        identity = dict(job.identity(), data_sha256=source.sha256(), data_shape=list(source.shape),
                        chunk_rows=chunk_rows,
                        labels_sha256=label_source.sha256() if label_source is not None else None)
        identity = json.loads(json.dumps(identity, sort_keys=True))
        run_file = _open_output(out, identity, resume, overwrite, fsync)
        if run_file is False:
            return out
        start = run_file.rows_done if run_file is not None else 0
        chunks = chunk_bounds(start, len(source), chunk_rows)

        def read(a, b):
            return source.read(a, b), (label_source.read(a, b) if label_source is not None else None)

        attrs = {"model": os.path.abspath(getattr(job, "model", getattr(job, "explainer", ""))), "data": str(data),
                 "labels": str(labels) if labels is not None else "", "versions": versions()}
        with dask_client(workers, scheduler) as own_client:
            client = client or own_client
            results = on_dask(job, chunks, read, client) if client is not None else in_process(job, chunks, read)
            bar = tqdm(total=len(source), initial=start, unit="rows", disable=not progress, desc=job.kind,
                       dynamic_ncols=True)
            with bar:
                for a, b, outputs in results:
                    if run_file is None:
                        run_file = _create(out, identity, len(source), chunk_rows, job, outputs, attrs, fsync)
                    run_file.commit(a, b, outputs)
                    bar.update(b - a)
        run_file.finalise()
        return out
    finally:
        if run_file:
            run_file.close()
        source.close()
        if label_source is not None:
            label_source.close()


def _create(out, identity, n_rows, chunk_rows, job, outputs, attrs, fsync):
    dataset_attrs = job.dataset_attrs()
    shapes = {name: (array.shape[1:], array.dtype, dataset_attrs.get(name, {})) for name, array in outputs.items()}
    return RunFile.create(out, identity, n_rows, chunk_rows, shapes, attrs, fsync)


def _open_output(out, identity, resume, overwrite, fsync):
    """The run file to continue, None to create one, False when ``out`` is already complete."""
    if not os.path.exists(out):
        return None
    if overwrite:
        os.remove(out)
        return None
    if not resume:
        raise OutputConflict(f"out: {out} exists; pass --resume to continue it or --overwrite to replace it")
    state, recorded, _, _ = file_state(out)
    if state == "complete":
        from .store import check_same_job, verify_file

        check_same_job(out, recorded, identity)
        verify_file(out)
        return False
    return RunFile.resume(out, identity, fsync)
