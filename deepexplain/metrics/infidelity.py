"""Infidelity and max-sensitivity (Yeh et al., *On the (In)fidelity and Sensitivity of
Explanations*, NeurIPS 2019).

* **Infidelity**: ``E_I[(Iᵀa − (f(x) − f(x − I)))²]`` with Gaussian perturbations
  ``I ~ N(0, σ²)``, estimated with ``n_perturbations`` draws per sample (lower is better).
* **Max-sensitivity**: ``max_{‖y − x‖∞ ≤ r} ‖Φ(y) − Φ(x)‖₂ / ‖Φ(x)‖₂`` over ``n_perturbations``
  points drawn uniformly in the ball, where ``Φ`` is the explanation function (lower is better).
"""
import functools

import numpy as np

from ..batching import row_slices
from ..methods.base import StreamedDraws, chunk_copies
from ..validation import as_float_array, describe, positive_float, positive_int
from .random_draws import draw_seed
from .scores import TargetScores, check_attributions, check_targets


def _perturbations(seed, n_perturbations, shape, scale, uniform):
    """``draws(i, copies)``: the perturbations ``copies`` (consecutive indices) of sample ``i``,
    ``U(−scale, scale)`` or ``N(0, scale²)``, made in chunks as they are asked for, from
    generators derived from ``seed``, the sample and the chunk (:class:`StreamedDraws`)."""

    def make(generator, size):
        size = (size,) + shape
        values = generator.uniform(-scale, scale, size) if uniform else generator.normal(0, scale, size)
        return [values.astype(np.float32)]

    @functools.lru_cache(maxsize=2)  # the copies stream sample by sample
    def of_sample(i):
        draws = StreamedDraws(seed)
        draws.start(n_perturbations, chunk_copies(int(np.prod(shape))), make, key=(int(i),))
        return draws

    return lambda i, copies: of_sample(i)[slice(int(copies[0]), int(copies[-1]) + 1)][0]


def infidelity(model, xs, attributions, targets=None, n_perturbations=50, noise=0.1, random_state=None, logits=True,
               batch_size=None, seed=None):
    """Per-sample infidelity with Gaussian perturbations of standard deviation ``noise``, drawn
    with ``random_state`` (None: fresh randomness; an int or a Generator: reproducible; ``seed``
    is its old name). The perturbations are streamed: memory does not grow with ``n_perturbations``."""
    seed = draw_seed(random_state, seed)
    xs, attributions = check_attributions(xs, attributions)
    scores = model if isinstance(model, TargetScores) else TargetScores(model, logits, batch_size)
    n_perturbations, noise = positive_int("n_perturbations", n_perturbations), positive_float("noise", noise)
    n = len(xs)
    targets = scores.targets(targets, xs)
    draws = _perturbations(seed, n_perturbations, xs.shape[1:], noise, uniform=False)
    full = scores(xs, targets)
    flat = attributions.reshape(n, -1).astype(np.float64)
    squared = np.zeros(n)
    for rows, perturbed in scores.copy_batches(n, n_perturbations, lambda i, c: xs[i] - draws(i, c), targets):
        index = np.arange(rows.start, rows.stop)
        owners, copy = index // n_perturbations, index % n_perturbations
        for i in np.unique(owners):
            here = owners == i
            dot = draws(i, copy[here]).reshape(int(here.sum()), -1) @ flat[i]
            squared[i] += np.sum((dot - (full[i] - perturbed[here])) ** 2)
    return squared / n_perturbations


def _explained(explain, rows, targets):
    """``explain(rows, targets)``; an exception it raises becomes a ValueError naming ``explain``."""
    try:
        return explain(rows, targets)
    except Exception as error:
        raise ValueError(f"explain: failed on a batch of shape {rows.shape} with targets of shape {targets.shape} "
                         f"({type(error).__name__}: {error}); expected a function explain(rows, targets) -> "
                         "attributions shaped like rows") from error


def max_sensitivity(explain, xs, attributions=None, targets=None, radius=0.1, n_perturbations=10, random_state=None,
                    batch_size=256, seed=None):
    """Per-sample max-sensitivity of the explanation function ``explain(rows, targets) -> attributions``,
    ``targets`` being the output unit explained for each row (those of ``targets``, repeated for
    the copies of a sample; -1 when None), e.g.
    ``lambda rows, t: explainer.run(rows, np.eye(n_classes, dtype="float32")[t])``.

    ``attributions`` of ``xs`` are computed when not given; perturbed copies are explained
    ``batch_size`` rows at a time. ``random_state`` draws the points as in :func:`infidelity`.
    """
    seed = draw_seed(random_state, seed)
    if not callable(explain):
        raise TypeError(f"explain: expected a function explain(rows, targets) -> attributions, got {describe(explain)}")
    radius, n_perturbations = positive_float("radius", radius), positive_int("n_perturbations", n_perturbations)
    batch_size = positive_int("batch_size", batch_size)
    xs = as_float_array("xs", xs)
    targets = check_targets(targets, len(xs))
    given = attributions is not None
    if not given:
        attributions = _explained(explain, xs, targets)
    xs, attributions = check_attributions(xs, attributions, "attributions" if given else "explain")
    n, shape = len(xs), xs.shape[1:]
    flat = attributions.reshape(n, -1).astype(np.float64)
    norms = np.linalg.norm(flat, axis=1)
    worst = np.zeros(n)
    draws = _perturbations(seed, n_perturbations, shape, radius, uniform=True)
    for rows in row_slices(n * n_perturbations, batch_size):
        index = np.arange(rows.start, rows.stop)
        owners, copy = index // n_perturbations, index % n_perturbations
        perturbed = np.concatenate([xs[i] + draws(i, copy[owners == i]) for i in np.unique(owners)])
        explained = check_attributions(perturbed, _explained(explain, perturbed, targets[owners]), "explain")[1]
        change = np.linalg.norm(explained.reshape(len(index), -1).astype(np.float64) - flat[owners], axis=1)
        np.maximum.at(worst, owners, change)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(norms > 0, worst / np.where(norms > 0, norms, 1), np.where(worst > 0, np.inf, 0.0))
