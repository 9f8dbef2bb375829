"""Iterations per compiled call: each call runs about ``CALL_SECONDS``, so that the progress bar moves
and Ctrl-C (which Python handles between calls) stops a run of any length within a fraction of a second."""
import time

CALL_SECONDS = 0.25
"""Seconds each call runs, once the speed is known."""
FIRST_CALL = 1
"""Iterations of the first call, which compiles and gives a first speed (a few more calls refine it)."""


class CallSizer:
    """Sizes of consecutive calls, each from the speed of the previous one.

    The first call runs ``FIRST_CALL`` iterations; after a call of ``s`` iterations that took
    ``t`` seconds the next runs ``s·CALL_SECONDS/t``. A call cut short at the end of a round
    can only raise the size (its fixed cost is spread over fewer iterations). The size is
    kept between rounds and between ``explain`` calls on rows of the same shape.
    """

    def __init__(self):
        self.size = FIRST_CALL

    def calls(self, total):
        """``(start, stop)`` ranges covering ``range(total)``, each sized after the previous one ran.

        Parameters
        ----------
        total : int
            Iterations of the round.

        Returns
        -------
        generator of (int, int)
            ``start ≤ k < stop`` for each call; time the caller's work between two ranges.
        """
        start = 0
        while start < total:
            stop = min(start + self.size, total)
            began = time.perf_counter()
            yield start, stop
            measured = max(1, int((stop - start) * CALL_SECONDS / max(time.perf_counter() - began, 1e-6)))
            self.size = measured if stop - start == self.size else max(self.size, measured)
            start = stop
