"""Occlusion (Zeiler & Fergus, 2014).

Each window of ``window_shape`` (moved by ``step``, as skimage's
``view_as_windows``) is set to zero and the change of the target,
``Σ T·ys (x) − Σ T·ys (x with the window zeroed)``, is recorded. A feature gets
the sum of the changes of the windows that cover it divided by the summed
sizes of those windows: for non-overlapping windows, each window's change
spread evenly over its features; for overlapping ones, their average. Features
no window covers are NaN.
"""
import warnings

import numpy as np
from skimage.util import view_as_windows

from ..validation import is_integer
from .base import PerturbationMethod


def _per_dimension(name, value, rank, default):
    value = default if value is None else value
    given = value
    if np.isscalar(value):
        value = (value,) * rank
    value = tuple(value) if isinstance(value, (tuple, list, np.ndarray)) else (value,)
    valid = all(is_integer(v) and v >= 1 for v in value)
    if len(value) != rank or not valid:
        raise ValueError(
            f"{name}: expected a positive int or a tuple of {rank} positive ints (one per input dimension), "
            f"got {given!r}"
        )
    return tuple(int(v) for v in value)


def occlusion_windows(shape, window_shape, step):
    """``(windows, window size)`` array of the flat feature indices each window covers."""
    index = np.arange(int(np.prod(shape))).reshape(shape)
    windows = view_as_windows(index, window_shape, step)
    return windows.reshape(-1, int(np.prod(window_shape)))


class Occlusion(PerturbationMethod):
    """Occlusion: the change of the explained score when a window of the input is zeroed.

    For each window ``W`` (``window_shape``, moved by ``step``): ``Δ_W = S(x) − S(x with W set to
    0)``, ``S = Σ(T·ys)``; a feature gets ``Σ_{W ∋ i} Δ_W / Σ_{W ∋ i} |W|`` (each window's change
    spread over its features, overlapping windows averaged). Features no window covers are NaN.

    Parameters
    ----------
    window_shape : int or tuple of int, optional
        Window size, one entry per sample dimension (as ``skimage.util.view_as_windows``).
        Default: 1 in every dimension.
    step : int or tuple of int, default 1
        Stride of the windows.
    progress : bool, default True
        Show a progress bar over the model calls.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("occlusion", ...)`` or ``get_explainer("occlusion", ...).run(...)``.

    References
    ----------
    .. [1] M. D. Zeiler, R. Fergus, "Visualizing and understanding convolutional networks", ECCV,
       2014. arXiv:1311.2901
    """

    name = "occlusion"

    def __init__(self, window_shape=None, step=1, progress=True):
        super().__init__(progress)
        self.window_shape = window_shape
        self.step = step
        self._windows = None

    def check(self, xs):
        if len(xs) > 1:
            raise ValueError(
                f"xs: occlusion takes a single input, got a list of {len(xs)}; "
                "use shapley_sampling, which treats the features of all inputs as players"
            )
        shape = xs[0].shape[1:]
        window = _per_dimension("window_shape", self.window_shape, len(shape), 1)
        step = _per_dimension("step", self.step, len(shape), 1)
        if any(w > s for w, s in zip(window, shape)):
            raise ValueError(
                f"window_shape: expected at most the sample shape {shape} in every dimension, got {window}"
            )
        self._windows = occlusion_windows(shape, window, step)
        self._coverage = np.bincount(self._windows.ravel(), minlength=int(np.prod(shape))).astype(np.float32)
        self._coverage *= self._windows.shape[1]
        uncovered = int(np.sum(self._coverage == 0))
        if uncovered:
            warnings.warn(
                f"occlusion: window_shape {window} with step {step} leaves {uncovered} features of {shape} "
                "uncovered; their attribution is NaN",
                stacklevel=4,
            )

    def attribute_batch(self, model, xs, ys, batch_size):
        x, windows = xs[0], self._windows
        n, features = len(x), self._coverage.size

        def masks(copy):
            mask = np.ones((len(copy), features), np.float32)
            mask[np.arange(len(copy))[:, None], windows[copy]] = 0.0
            return [mask.reshape((-1,) + x.shape[1:])]

        change = model.outputs(xs, ys)[:, None] - self.masked_outputs(model, xs, ys, masks, len(windows), batch_size)
        cells = (np.arange(n)[:, None, None] * features + windows[None]).ravel()
        heat = np.bincount(cells, weights=np.repeat(change.ravel(), windows.shape[1]), minlength=n * features)
        with np.errstate(invalid="ignore", divide="ignore"):
            attribution = heat.reshape(n, features) / self._coverage
        attribution[:, self._coverage == 0] = np.nan
        return [attribution.reshape(x.shape).astype(np.float32)]
