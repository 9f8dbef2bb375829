"""Runs ``deepexplain explain`` and kills itself (SIGKILL) at a chosen point of the run.

    python kill_driver.py MODE N -- ARGS...

MODE ``flush``: on the N-th flush of the output file (odd: rows written, not yet flushed;
even: rows_done written, not yet flushed). ``write``: on the N-th dataset write of a chunk
(a chunk half written). ``time``: N milliseconds after the first chunk is committed, the
commits being slowed to one per 50 ms so that the kill lands before the run ends.
"""
import os
import signal
import sys
import threading
import time

import h5py

from deepexplain.batch import store
from deepexplain.cli import main

mode, count, args = sys.argv[1], int(sys.argv[2]), sys.argv[4:]
calls = [0]


def kill_on(function):
    def wrapper(*a, **k):
        calls[0] += 1
        if calls[0] == count:
            os.kill(os.getpid(), signal.SIGKILL)
        return function(*a, **k)

    return wrapper


if mode == "flush":
    store.RunFile._flush = kill_on(store.RunFile._flush)
elif mode == "write":
    h5py.Dataset.__setitem__ = kill_on(h5py.Dataset.__setitem__)
else:
    commit = store.RunFile.commit

    def slow_commit(self, *a, **k):
        commit(self, *a, **k)
        if not calls[0]:
            calls[0] = 1
            threading.Timer(count / 1000, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
        time.sleep(0.05)

    store.RunFile.commit = slow_commit
main(args)
