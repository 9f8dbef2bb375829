"""The compiled loop's arguments and results packed into few tensors.

Each argument or result of a compiled call costs tens of microseconds of Python (conversion,
binding, copy back), more than an iteration of a small model; packed, a call takes four
arguments and gives two results instead of seventeen and nine. The values pass unchanged
(``found`` as 0/1 floats). The autodiff loop has no numerical gradient: ``grad_num`` and
``best_grad_num`` are not passed and come back as zeros.
"""
import numpy as np
import tensorflow as tf

from .fista import Constants, State

CONSTANT_ROWS = ("x0", "no_info", "lower", "upper")
STATE_ROWS = ("adv", "y", "grad_graph", "best_adv", "best_grad_graph")


def pack(consts, state, start, stop):
    """The arguments of one call: ``(rows, onehot, per_row, steps)``, NumPy arrays.

    Parameters
    ----------
    consts : Constants
        The round's inputs (NumPy).
    state : State
        The iterates and the best solutions so far (NumPy).
    start, stop : int
        The call runs steps ``start ≤ k < stop``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(9, N, *features)`` rows, ``(N, classes)`` onehot, ``(3, N)`` per-row values (c, best
        distance, found) and the ``(2,)`` int32 steps.
    """
    rows = np.stack([getattr(consts, name) for name in CONSTANT_ROWS] + [getattr(state, name) for name in STATE_ROWS])
    per_row = np.stack([consts.c, state.best_dist, state.found.astype(np.float32)])
    return rows, consts.onehot, per_row, np.array([start, stop], np.int32)


def unpack(rows, onehot, per_row):
    """``(Constants, State)`` from the packed tensors, inside the compiled function."""
    named = dict(zip(CONSTANT_ROWS + STATE_ROWS, tf.unstack(rows)))
    zeros = tf.zeros_like(named["x0"])
    consts = Constants(onehot=onehot, c=per_row[0], **{name: named[name] for name in CONSTANT_ROWS})
    state = State(grad_num=zeros, best_grad_num=zeros, best_dist=per_row[1], found=per_row[2] > 0,
                  **{name: named[name] for name in STATE_ROWS})
    return consts, state


def pack_state(state):
    """The results of a call: the state's rows ``(5, N, *features)`` and per-row values ``(2, N)``."""
    rows = tf.stack([getattr(state, name) for name in STATE_ROWS])
    return rows, tf.stack([state.best_dist, tf.cast(state.found, tf.float32)])


def unpack_state(rows, per_row):
    """The :class:`~cem.fista.State` (NumPy) from a call's results."""
    zeros = np.zeros_like(rows[0])
    return State(grad_num=zeros, best_grad_num=zeros, best_dist=per_row[0], found=per_row[1] > 0,
                 **dict(zip(STATE_ROWS, rows)))
