"""Rows built chunk by chunk, predicted, and gathered into one array of outputs."""
import numpy as np


def predict_streamed(predictor, n_rows, make_rows, progress=False, desc=None, prefetch=True):
    """The ``(n_rows, n_outputs)`` predictions of the rows ``make_rows(start, stop)`` builds,
    through ``predictor.stream``: with ``prefetch`` the next chunk is built while the model runs
    on the current one, so at most two chunks of input rows exist at a time."""
    outputs = None
    for rows, predictions in predictor.stream(n_rows, make_rows, progress, desc, prefetch=prefetch):
        if outputs is None:
            outputs = np.empty((n_rows, predictions.shape[1]))
        outputs[rows] = predictions
    return outputs
