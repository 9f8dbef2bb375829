"""Timing for the benchmarks: the best of several calls, after a warm-up call.

The best time, not the mean, because this machine is shared: other work only
ever adds time.
"""
import time


def best_time(function, repeats=3):
    """The fastest of ``repeats`` timed calls of ``function`` (after one untimed call that compiles), in seconds."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)
