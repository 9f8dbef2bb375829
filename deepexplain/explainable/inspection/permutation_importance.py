"""Permutation feature importance (Breiman, 2001; Fisher, Rudin & Dominici, 2019), as
``sklearn.inspection.permutation_importance``: importance[j, r] = score(X, y) − score(X with
column j shuffled by the r-th permutation, y), greater-is-better metrics.

All F·R permuted copies are one stream of F·R·n rows, built chunk by chunk while they go
through the model, and each copy is scored as soon as its rows are predicted. The permutations
are drawn in chunks of copies as the stream needs them, each chunk from a generator derived from
``random_state`` and the chunk's index: memory does not grow with ``n_repeats``.
"""
import matplotlib.pyplot as plt
import numpy as np

from ...batching import check_memory
from ...explanation import Explanation
from ...methods.base import StreamedDraws, chunk_copies
from ...models import Predictor
from ...validation import as_float_array, describe, is_number, positive_int, random_generator
from ..tabular_input import as_rows, column_names, fitted_columns, row_dtype


def _accuracy(y, predictions, classes):
    if predictions.shape[1] == 1:
        predicted = (predictions[:, 0] > 0.5).astype(int)
    else:
        predicted = np.argmax(predictions, axis=1)
    if classes is not None:
        predicted = classes[predicted]
    return float(np.mean(predicted == y))


def _neg_mean_squared_error(y, predictions, classes):
    return -float(np.mean((predictions - y.reshape(len(y), -1)) ** 2))


def _r2(y, predictions, classes):
    """R² averaged over outputs (scikit-learn's ``uniform_average``)."""
    y = y.reshape(len(y), -1)
    residual = ((y - predictions) ** 2).sum(axis=0)
    total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1 - residual / np.where(total > 0, total, 1.0)))


METRICS = {"accuracy": _accuracy, "r2": _r2, "neg_mean_squared_error": _neg_mean_squared_error}


def class_labels(y, n_outputs, classes):
    """``y`` as the labels ``_accuracy`` compares with: one-hot rows become class indices; labels must
    be among ``classes`` (an estimator's ``classes_``), else class indices of the ``n_outputs``
    outputs (0 or 1 for one output), as scikit-learn's classification metrics require."""
    if y.ndim > 2:
        raise ValueError(f"y: expected labels (n,) or one-hot rows (n, {n_outputs}), got shape {y.shape}")
    if y.ndim == 2 and y.shape[1] > 1:
        if y.shape[1] != n_outputs:
            raise ValueError(f"y: expected one-hot rows of {n_outputs} columns (one per model output), got shape "
                             f"{y.shape}")
        indices = np.argmax(y, axis=1)
        return indices if classes is None else classes[indices]
    y = y.reshape(len(y))
    if classes is not None:
        unknown = np.setdiff1d(y, classes)
        if unknown.size:
            raise ValueError(f"y: expected labels among the model's classes_ {classes.tolist()}, got "
                             f"{unknown[:5].tolist()}")
        return y
    if y.dtype.kind not in "iufb":
        raise ValueError(f"y: expected class indices (the model has no classes_ to map {y.dtype} labels to its "
                         f"outputs), got {describe(y)}; encode the labels, e.g. with LabelEncoder")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise ValueError("y: expected class labels for metric='accuracy', got continuous values; use metric='r2' or "
                         "'neg_mean_squared_error' for a regressor")
    high = 2 if n_outputs == 1 else n_outputs
    if y.min() < 0 or y.max() >= high:
        raise ValueError(f"y: expected class indices in [0, {high}) for a model with {n_outputs} output(s), got "
                         f"values from {y.min()} to {y.max()}")
    return y.astype(np.int64)


def regression_targets(y, n_outputs, metric):
    """``y`` as float64 targets with one column per model output."""
    as_float_array("y", y)
    columns = int(np.prod(y.shape[1:]))
    if columns != n_outputs:
        raise ValueError(f"y: expected {n_outputs} target(s) per row for metric={metric!r} on a model with "
                         f"{n_outputs} output(s), got shape {y.shape}")
    return y.astype(np.float64)


class PermutationImportance:
    """How much a metric drops when one feature's values are shuffled.

    Args:
        model: any model of ``Predictor``.
        metric: "accuracy" (argmax of the outputs, or output > 0.5 for one output, mapped
            through the estimator's ``classes_`` when it has them), "r2",
            "neg_mean_squared_error", or a function ``metric(y, predictions) -> float`` where
            greater is better and ``predictions`` is the model's ``(n, n_outputs)`` output.
        n_repeats: permutations per feature.
        random_state: seed of the permutations.
        batch_size: most rows per model call; progress: show a progress bar.
        session: for a tf_keras model in TF1 session-style code, its ``tf.compat.v1.Session``
            (default: the default session when eager execution is disabled).

    ``compute(X, y)`` returns an ``Explanation`` (a dict with attribute access and ``meta``):
    ``mean`` and ``std`` (ddof 0) per feature (also as scikit-learn's ``importances_mean`` and
    ``importances_std``), ``importances`` (features × repeats) and ``baseline`` (the metric on
    unshuffled data).

    Example::

        result = PermutationImportance(model, metric="accuracy", n_repeats=10).compute(X_test, y_test)
        figure = PermutationImportance.plot(result, feature_names)
    """

    def __init__(self, model, metric="accuracy", n_repeats=10, random_state=None, batch_size=None, progress=True,
                 session=None):
        self.predictor = Predictor(model, batch_size, session)
        self.row_dtype = row_dtype(model)
        self.columns = fitted_columns(model)
        if not callable(metric) and metric not in METRICS:
            raise ValueError(f"metric: expected one of {tuple(METRICS)} or a function (y, predictions) -> float, "
                             f"got {describe(metric)}")
        self.metric = metric
        self.n_repeats = positive_int("n_repeats", n_repeats)
        random_generator("random_state", random_state)
        self.random_state = random_state
        self.progress = progress
        classes = getattr(model, "classes_", None)
        self.classes = None if classes is None else np.asarray(classes)

    def _score(self, y, predictions):
        if not callable(self.metric):
            return METRICS[self.metric](y, predictions, self.classes)
        score = self.metric(y, predictions)
        if not is_number(score) and not (np.ndim(score) == 0 and np.asarray(score).dtype.kind in "iuf"):
            raise TypeError(f"metric: expected a function returning a number, got {describe(score)}")
        if not np.isfinite(score):
            raise ValueError(f"metric: expected a finite score, got {score} from {describe(self.metric)}")
        return float(score)

    def compute(self, X, y):
        """Importances of the columns of ``X`` (n, features) for targets ``y`` (n,) or (n, outputs)."""
        X_given = X
        X = as_rows("X", X, min_rows=2, columns=self.columns, reference="the model's feature_names_in_").astype(
            self.row_dtype, copy=False
        )
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y: expected one target per row of X ({X.shape[0]}), got shape {y.shape}")
        check_memory("n_repeats", self.n_repeats, X.shape[1] * self.n_repeats * 32, "importances")
        predictions = self.predictor(X)
        if self.metric == "accuracy":
            y = class_labels(y, predictions.shape[1], self.classes)
        elif self.metric in ("r2", "neg_mean_squared_error"):
            y = regression_targets(y, predictions.shape[1], self.metric)
        n, n_features = X.shape
        copies = n_features * self.n_repeats
        permutations = StreamedDraws(self.random_state)
        permutations.start(copies, chunk_copies(n), lambda generator, size: [np.argsort(generator.random((size, n)),
                                                                                        axis=1)])
        baseline = self._score(y, predictions)

        def permuted_rows(start, stop):
            index = np.arange(start, stop)
            copy, row = np.divmod(index, n)
            (order,) = permutations[slice(int(copy[0]), int(copy[-1]) + 1)]
            rows = X[row]
            feature = copy // self.n_repeats
            rows[np.arange(len(index)), feature] = X[order[copy - copy[0], row], feature]
            return rows

        scores = np.empty(copies)
        pending = None
        for rows, predictions in self.predictor.stream(copies * n, permuted_rows, self.progress,
                                                        "PermutationImportance"):
            pending = predictions if pending is None else np.concatenate([pending, predictions])
            first = (rows.stop - len(pending)) // n
            done = rows.stop // n - first
            for k in range(done):
                scores[first + k] = self._score(y, pending[k * n:(k + 1) * n])
            pending = pending[done * n:]
        importances = baseline - scores.reshape(n_features, self.n_repeats)
        mean, std = importances.mean(axis=1), importances.std(axis=1)
        params = {"metric": self.metric if isinstance(self.metric, str) else describe(self.metric),
                  "n_repeats": self.n_repeats, "random_state": self.random_state}
        return Explanation({
            "mean": mean,
            "std": std,
            "importances_mean": mean,
            "importances_std": std,
            "importances": importances,
            "baseline": baseline,
        }, "PermutationImportance", params=params, model=self.predictor.model,
            feature_names=self.columns or column_names(X_given))

    @staticmethod
    def plot(importances, feature_names=None, max_features=20, figsize=None):
        """Bars of the mean importance with ±std error bars, most important first. Returns the figure."""
        mean, std = np.asarray(importances["mean"]), np.asarray(importances["std"])
        if feature_names is None:
            feature_names = [f"x{i}" for i in range(len(mean))]
        if len(feature_names) != len(mean):
            raise ValueError(f"feature_names: expected {len(mean)} names, got {len(feature_names)}")
        order = np.argsort(-mean, kind="stable")[:positive_int("max_features", max_features)]
        figure, ax = plt.subplots(figsize=figsize or (max(6, 0.45 * len(order) + 2), 4))
        ax.bar(np.arange(len(order)), mean[order], yerr=std[order], capsize=3, color="tab:blue")
        ax.set_xticks(np.arange(len(order)))
        ax.set_xticklabels([feature_names[i] for i in order], rotation=45, ha="right", fontsize=8)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel(f"drop in score (baseline {importances['baseline']:.3f})")
        ax.set_title("Permutation feature importance")
        figure.tight_layout()
        return figure
