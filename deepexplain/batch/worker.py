"""The chunk function, run in-process or as a Dask task.

Each process keeps the jobs it has set up (model loaded, explainer compiled) in a small cache
keyed by the job, so a worker sets a job up once, not once per chunk.
"""
import collections
import threading

CACHE_SIZE = 2

_cache = collections.OrderedDict()
_lock = threading.Lock()
setups = collections.Counter()
"""How many times each job was set up in this process (read by tests through Dask's ``client.run``)."""


def compute_chunk(job, xs, labels=None):
    """The outputs of ``job`` for the rows ``xs`` (and their ``labels``)."""
    with _lock:
        compute = _cache.get(job)
        if compute is None:
            compute = job.setup()
            setups[repr(job)] += 1
            _cache[job] = compute
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        _cache.move_to_end(job)
        return compute(xs, labels)


def setup_counts():
    """``{job repr: times set up}`` in this process."""
    return dict(setups)
