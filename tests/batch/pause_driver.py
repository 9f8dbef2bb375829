"""Runs ``deepexplain ARGS`` and pauses at a chosen point of the run until MARKER is removed.

    python pause_driver.py WHERE MARKER -- ARGS...

WHERE ``commit``: after the first chunk is committed; ``finalise``: when the finalised copy's
temporary file exists, before the rows are copied into it. On pausing, the driver writes its PID
to MARKER; the test then starts other runs or signals it, and removes MARKER to let it go on.
"""
import os
import sys
import time

from deepexplain.batch import store
from deepexplain.cli import main

where, marker, args = sys.argv[1], sys.argv[2], sys.argv[4:]


paused = []


def pause_once():
    if paused:
        return
    paused.append(os.getpid())
    with open(marker + ".part", "w") as f:
        f.write(str(os.getpid()))
    os.replace(marker + ".part", marker)
    while os.path.exists(marker):
        time.sleep(0.02)


def pausing(function, before):
    def wrapper(*a, **k):
        if before:
            pause_once()
        result = function(*a, **k)
        if not before:
            pause_once()
        return result

    return wrapper


if where == "commit":
    store.RunFile.commit = pausing(store.RunFile.commit, before=False)
else:
    store.RunFile._copy_compressed = pausing(store.RunFile._copy_compressed, before=True)
main(args)
