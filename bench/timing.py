"""Timing for the benchmarks: the best of several calls, after a warm-up call.

The best time, not the mean, because this machine is shared: other work only
ever adds time.
"""
import argparse
import time


def parse_repeats(doc, default=5):
    """``--repeats N`` from the command line of a benchmark whose docstring is ``doc``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=default, help=f"timed repeats per figure (default {default})")
    return parser.parse_args().repeats


def best_time(function, repeats=3):
    """The fastest of ``repeats`` timed calls of ``function`` (after one untimed call that compiles), in seconds."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def paired_best_times(first, second, repeats=5):
    """The best times of ``first`` and ``second`` (seconds), timed alternately so that a
    machine whose speed drifts during the run affects both alike."""
    first(), second()
    times = ([], [])
    for _ in range(repeats):
        for function, spent in zip((first, second), times):
            start = time.perf_counter()
            function()
            spent.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def result(method, ours, floor, target, floor_name="floor", at_least=False):
    """One row of ``python -m bench``: our time and the floor's (or anchor's) in seconds, their ratio and
    whether it meets ``target`` (ratio <= target, or >= with ``at_least``)."""
    ratio = ours / floor
    return {"method": method, "ours_s": ours, "floor_s": floor, "floor": floor_name, "ratio": ratio,
            "target": f"{'>=' if at_least else '<='} {target}", "met": ratio >= target if at_least else ratio <= target}
