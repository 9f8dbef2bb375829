"""Batch explainer runs: saved model + data file in, one resumable HDF5 file out.

The Python side of the ``deepexplain`` command::

    from deepexplain import batch

    batch.run("model.keras", "test.npz:x", ["intgrad", "deeplift"], "out.h5", params={"steps": 50})
    batch.run(..., resume=True)             # after a kill: continue where it stopped
    batch.run(..., workers=4)               # on a local Dask cluster
    batch.run(..., scheduler="tcp://host:8786")
    batch.info("out.h5")

See :mod:`deepexplain.batch.store` for the file layout and why a kill never damages it.
"""
from .errors import BatchError, DamagedOutput, DiskFull, InputError, OutputConflict, OutputPathError, exit_code
from .info import info
from .jobs import CemJob, CxplainJob, ExplainJob
from .runner import DEFAULT_CHUNK_ROWS, run_job
from .sources import open_data

__all__ = ["BatchError", "CemJob", "CxplainJob", "DamagedOutput", "DiskFull", "ExplainJob", "InputError",
           "OutputConflict", "OutputPathError", "exit_code", "info", "open_data", "run", "run_job"]


def run(model, data, methods, out, params=None, targets="predicted", labels=None, logits=True, batch_size=None,
        chunk_rows=DEFAULT_CHUNK_ROWS, resume=False, overwrite=False, workers=None, scheduler=None, client=None,
        progress=True, trust_model_code=False):
    """Attributions of every row of ``data`` by ``methods`` (a name or a list of names of
    ``deepexplain.METHODS``), written to the HDF5 file ``out``; returns ``out``.

    Args:
        model: a ``.keras`` file, a tf_keras/Keras 2 ``.h5`` file or a SavedModel directory
            (loaded in safe mode: no code from the file runs).
        data: ``file.npy``, ``file.npz:NAME`` or ``file.h5:/dataset``; read ``chunk_rows`` rows
            at a time.
        params: method parameters; each method takes the entries it accepts, or give
            ``{method: {...}}`` per method.
        targets: ``'predicted'``, ``'labels'`` (with ``labels``, a data spec of class indices or
            one-hot rows), ``'index:K'`` or ``'all'``.
        logits: explain the pre-softmax output of a model ending in a softmax.
        batch_size: most rows per model call (``explainer.run``'s ``batch_size``).
        resume / overwrite: continue an existing ``out`` of the same job / replace it.
        workers / scheduler / client: run chunks on a local Dask cluster of ``workers``
            processes, on the cluster at ``scheduler``, or with an existing ``distributed.Client``.
        progress: show a progress bar (rows/s and ETA).
        trust_model_code: load a SavedModel even if its graphs hold ops that are not computations
            on tensors (file or network I/O, Python calls); only for models you trust.

    One run owns ``out`` at a time (another raises :class:`OutputConflict` naming its PID); a
    full disk raises :class:`DiskFull`, keeping the committed rows.

    The file holds ``/attributions/<method>`` (shaped like ``data``), ``/targets`` (the explained
    output unit per row, -1 for ``'all'``), ``rows_done`` and the job's description.
    """
    job = ExplainJob.make(model, methods, params, targets, logits, batch_size, trust_model_code)
    return run_job(job, data, out, labels, chunk_rows, resume, overwrite, workers, scheduler, client, progress)
