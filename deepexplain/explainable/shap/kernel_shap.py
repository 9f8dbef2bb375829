"""Kernel SHAP (Lundberg & Lee, "A Unified Approach to Interpreting Model Predictions", NeurIPS 2017).

The value of a coalition ``z`` of features for a sample ``x`` is the (weighted) mean model
output over the background with the features of ``z`` taken from ``x``:
``E[f | z] = Σ_b w_b f(x_z, b_{¬z})``. The Shapley values are the weighted least-squares fit of
these values under the Shapley kernel, with ``Σ φ = link(f(x)) − link(E[f])`` imposed exactly.

Coalitions come from ``coalitions.kernel_coalitions`` (small sizes enumerated, paired sampling
for the rest), the same set for every sample. All coalitions of all samples go through the
model in one stream of chunks of ``batch_size`` rows, each chunk reduced over the background
as soon as it is predicted: the ``samples × coalitions × background`` rows never exist at once.
"""
import warnings

import numpy as np

from ...batching import check_memory
from ...explanation import check_output
from ...models import Predictor, default_batch_size
from ...validation import positive_int, random_generator
from ..tabular_input import as_rows, column_names, row_dtype
from .background import Background, as_background
from .coalitions import kernel_coalitions
from .shap_plots import ShapPlots
from .shap_result import shap_result
from .shapley_regression import check_l1_reg, constrained_wls, l1_selection

LINKS = {
    "identity": lambda p: p,
    "logit": lambda p: np.log(np.clip(p, 1e-15, 1 - 1e-15) / (1 - np.clip(p, 1e-15, 1 - 1e-15))),
}


def check_link(link, outputs, name):
    """``outputs``, refused (ValueError naming ``link``) when ``link="logit"`` and some are outside
    [0, 1]: the log-odds of a value that is not a probability is undefined, not a clipped number.
    Probabilities of exactly 0 or 1 (infinite log-odds) are clipped to ``[1e-15, 1 − 1e-15]``
    (log-odds ±34.5) with a ``RuntimeWarning`` naming ``link``."""
    if link == "logit":
        finite = outputs[np.isfinite(outputs)]
        if finite.size and (finite.min() < 0 or finite.max() > 1):
            raise ValueError(f"link: 'logit' expected model outputs that are probabilities in [0, 1], got outputs "
                             f"from {finite.min():.6g} to {finite.max():.6g} on {name}; use link='identity' for "
                             "scores, logits or regression outputs")
        if np.any((finite == 0) | (finite == 1)):
            warnings.warn(f"link: 'logit' got probabilities of exactly 0 or 1 on {name}, whose log-odds are "
                          "infinite; they are clipped to log-odds of ±34.5, which then dominate the SHAP values "
                          "(use link='identity' for saturated models)", RuntimeWarning, stacklevel=3)
    return outputs


class KernelShap(ShapPlots):
    """Model-agnostic SHAP values of any model.

    Args:
        model: a Keras model, ``tf.Module``, scikit-learn estimator or callable (see ``Predictor``).
        data: background rows ``(N, M)``, or a weighted ``Background`` such as ``summarize(X, k)``.
        link: ``"identity"`` (values add up to the output) or ``"logit"`` (to its log-odds).
        batch_size: default most model rows per call for ``explain`` (see ``Predictor``).

    Attributes:
        expected_value: ``link`` of the weighted mean output over the background (one per output).

    Example::

        explainer = KernelShap(model, summarize(X_train, 20), link="identity")
        shap_values = explainer.explain(X_test[:10], n_samples=2048)
        figure = explainer.plot(shap_values, feature_names=names)
    """

    def __init__(self, model, data, link="identity", batch_size=None):
        if link not in LINKS:
            raise ValueError(f"link: expected one of {sorted(LINKS)}, got {link!r}")
        self.link = link
        self.background = as_background("data", data)
        self.feature_names = column_names(data.data if isinstance(data, Background) else data)
        self.row_dtype = row_dtype(model)
        self.predictor = Predictor(model, batch_size)
        background_output = self.predictor(self.background.data, name="data")
        self.background_output = self.background.weights @ check_link(link, background_output, "data")
        self.expected_value = LINKS[link](self.background_output)

    def explain(self, samples, n_samples=2048, l1_reg=None, random_state=None, batch_size=None, progress=True,
                output=None):
        """SHAP values of ``samples`` (rows ``(n, M)``, or one row).

        Args:
            n_samples: coalitions evaluated per sample (all ``2^M − 2`` when that is fewer: exact).
            l1_reg: None keeps every feature; an int keeps that many per sample and output (the
                first to enter the LARS path; the others get 0).
            random_state: seed of the coalition sampling.
            batch_size: most model rows per call (rounded down to whole background sets).
            progress: show a progress bar over the model calls.
            output: None (every output: values ``(n, M, outputs)`` for a model with several)
                or the index of the one output to explain (values ``(n, M)``).

        Returns:
            an ``Explanation`` ``{"values": (n, M) or (n, M, outputs), "expected_value": scalar
            or (outputs,), "data": the samples}`` (see ``shap_result``);
            ``values.sum(1) + expected_value == link(f(samples))``.
        """
        X = as_rows("samples", samples, columns=self.feature_names, reference="data", single_row=True)
        data = self.background.data
        if X.shape[1] != data.shape[1]:
            raise ValueError(f"samples: expected rows of {data.shape[1]} features like data, got shape {X.shape}")
        n_samples = positive_int("n_samples", n_samples)
        if n_samples < 2:
            raise ValueError(f"n_samples: expected at least 2 coalitions, got {n_samples}")
        M = X.shape[1]
        coalitions = min(n_samples, 2**M - 2) if M > 1 else 0
        check_memory("n_samples", n_samples, coalitions * (17 * M + 8 + 16 * len(X) * len(self.expected_value)),
                     "coalitions (their masks, weights and mean model outputs per sample)")
        l1_reg = check_l1_reg(l1_reg, M)
        check_output(output, len(self.expected_value))
        batch_size = positive_int("batch_size", batch_size, allow_none=True)
        masks, weights = kernel_coalitions(X.shape[1], n_samples, random_generator("random_state", random_state))
        link = LINKS[self.link]
        delta = link(check_link(self.link, self.predictor(X, name="samples"), "samples")) - self.expected_value
        y = link(self._coalition_values(X, masks, batch_size, progress)) - self.expected_value
        values = self._solve(masks, weights, y, delta, self._varying(X), l1_reg)
        params = {"n_samples": n_samples, "l1_reg": l1_reg, "random_state": random_state, "link": self.link,
                  "output": output}
        return shap_result("KernelShap", values, self.expected_value, X, output, params=params,
                           model=self.predictor.model, feature_names=self.feature_names or column_names(samples))

    def _coalition_values(self, X, masks, batch_size, progress):
        """``E[f | z]`` for every sample and coalition, shape ``(n, K, outputs)``, streamed."""
        data, weights = self.background
        X, data = X.astype(self.row_dtype, copy=False), data.astype(self.row_dtype, copy=False)
        N, K = len(data), len(masks)
        rows_per_call = batch_size or self.predictor.batch_size or default_batch_size(data[0].nbytes)
        groups_per_call = max(1, rows_per_call // N)

        def make_rows(start, stop):
            sample, coalition = np.divmod(np.arange(start // N, stop // N), K)
            return np.where(masks[coalition][:, None, :], X[sample][:, None, :], data[None]).reshape(-1, X.shape[1])

        values = None
        stream = self.predictor.stream(len(X) * K * N, make_rows, progress, "KernelShap", groups_per_call * N,
                                       prefetch=True)
        for rows, predictions in stream:
            check_link(self.link, predictions, "the coalitions of samples and data")
            means = (weights @ predictions.reshape(-1, N, predictions.shape[1]))
            if values is None:
                values = np.empty((len(X) * K, predictions.shape[1]))
            values[rows.start // N: rows.stop // N] = means
        return values.reshape(len(X), K, -1)

    def _varying(self, X):
        """Whether each feature of each sample differs from some background row ``(n, M)``."""
        data = self.background.data[self.background.weights > 0]
        chunk = max(1, 2**22 // data.size)
        return np.concatenate([
            np.any(X[i:i + chunk, None, :] != data[None], axis=1) for i in range(0, len(X), chunk)
        ])

    def _solve(self, masks, weights, y, delta, varying, l1_reg):
        """``φ (n, M, outputs)``: features that never vary get 0; samples that vary in the same
        features share one solve."""
        n, K, n_outputs = y.shape
        values = np.zeros((n, masks.shape[1], n_outputs))
        patterns, group = np.unique(varying, axis=0, return_inverse=True)
        for pattern, rows in zip(patterns, (np.flatnonzero(group.ravel() == g) for g in range(len(patterns)))):
            features = np.flatnonzero(pattern)
            if l1_reg is None or l1_reg >= len(features):
                targets = y[rows].transpose(1, 0, 2).reshape(K, -1)
                phi = constrained_wls(masks[:, features], weights, targets, delta[rows].ravel())
                phi = phi.reshape(len(features), len(rows), n_outputs).transpose(1, 0, 2)
                values[rows[:, None], features[None, :]] = phi
                continue
            for row in rows:
                for output in range(n_outputs):
                    selected = l1_selection(masks[:, features], weights, y[row, :, output], delta[row, output], l1_reg)
                    kept = features[selected]
                    phi = constrained_wls(masks[:, kept], weights, y[row, :, output, None], delta[row, output, None])
                    values[row, kept, output] = phi[:, 0]
        return values
