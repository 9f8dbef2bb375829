"""Partial dependence (Friedman, 2001) and individual conditional expectation curves
(Goldstein et al., 2015), as ``sklearn.inspection.partial_dependence(method="brute")``:

    PD(v) = (1/n) Σ_i f(x_i with feature(s) set to v),   ICE_i(v) = f(x_i with feature(s) set to v)

The grid follows scikit-learn: the feature's unique values when there are fewer than
``grid_resolution`` of them, else ``grid_resolution`` evenly spaced points between the
``percentiles`` (``scipy.stats.mstats.mquantiles``, default 5% and 95%). All grid points × rows
are one stream of rows built chunk by chunk while they go through the model.
"""
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats.mstats import mquantiles

from ...explanation import Explanation
from ...models import Predictor, predict_streamed
from ...validation import describe, is_integer, positive_int
from ..tabular_input import as_rows, fitted_columns, row_dtype


def feature_grid(column, grid_resolution, percentiles=(0.05, 0.95)):
    """scikit-learn's grid of one feature (see the module docstring)."""
    uniques = np.unique(column)
    if len(uniques) < grid_resolution:
        return uniques
    low, high = mquantiles(column, prob=percentiles, axis=0)
    if np.allclose(low, high):
        raise ValueError(f"percentiles: {percentiles} give the same value {low:g} for this feature; "
                         "choose percentiles further apart")
    return np.linspace(low, high, num=grid_resolution, endpoint=True)


def _check_percentiles(percentiles):
    try:
        low, high = (float(p) for p in percentiles)
    except (TypeError, ValueError):
        raise ValueError(f"percentiles: expected two numbers in [0, 1], got {describe(percentiles)}") from None
    if not 0 <= low < high <= 1:
        raise ValueError(f"percentiles: expected 0 <= low < high <= 1, got {describe(percentiles)}")
    return low, high


def _check_feature(name, index, n_features):
    if not is_integer(index) or not -n_features <= index < n_features:
        raise ValueError(f"{name}: expected a column index in [0, {n_features}), got {describe(index)}")
    return int(index) % n_features


class PartialDependence:
    """The average (and per-row) model output as one or two features sweep a grid.

    Args:
        model: any model of ``Predictor``.
        target: which output is reported: "auto" (the only output; for two outputs the second,
            i.e. the positive class of a binary classifier, as scikit-learn; all outputs on a
            last axis otherwise), an output index, or None (all outputs).
        batch_size: most rows per model call; progress: show a progress bar.
        session: for a tf_keras model in TF1 session-style code, its ``tf.compat.v1.Session``
            (default: the default session when eager execution is disabled).

    Both return an ``Explanation`` (a dict with attribute access and ``meta``).
    ``compute(X, feature_idx)`` returns ``feature_values`` (the grid), ``predictions`` (PD on the
    grid) and ``individual`` (ICE curves, rows × grid). ``compute_2d(X, feature_idx1,
    feature_idx2)`` returns ``feature1_values``, ``feature2_values``, the meshgrids
    ``feature1_grid`` and ``feature2_grid`` (``indexing="ij"``) and ``predictions`` on them.

    Example::

        pd_calculator = PartialDependence(model)
        curve = pd_calculator.compute(X_train, feature_idx=0, grid_resolution=50)
        surface = pd_calculator.compute_2d(X_train, feature_idx1=0, feature_idx2=1, grid_resolution=30)
        figures = pd_calculator.plot(curve, "mean radius"), pd_calculator.plot_2d(surface, ("a", "b"))
    """

    def __init__(self, model, target="auto", batch_size=None, progress=True, session=None):
        self.predictor = Predictor(model, batch_size, session)
        self.columns = fitted_columns(model)
        self.row_dtype = row_dtype(model)
        if not (target is None or target == "auto"
                or (is_integer(target) and target >= 0)):
            raise ValueError(f"target: expected 'auto', None or an output index, got {describe(target)}")
        self.target = target
        self.progress = progress

    def _select(self, outputs):
        """The reported output(s) of ``(..., n_outputs)`` predictions."""
        n_outputs = outputs.shape[-1]
        target = self.target
        if target == "auto":
            target = 0 if n_outputs == 1 else 1 if n_outputs == 2 else None
        if target is None:
            return outputs
        if target >= n_outputs:
            raise ValueError(f"target: the model has {n_outputs} outputs, got target={target}")
        return outputs[..., target]

    def _sweep(self, X, columns, points, desc):
        """Predictions ``(n_points, n_rows, n_outputs)`` of X with ``columns`` set to each row of ``points``."""
        n = len(X)
        X, points = X.astype(self.row_dtype, copy=False), points.astype(self.row_dtype, copy=False)

        def rows_at_points(start, stop):
            point, row = np.divmod(np.arange(start, stop), n)
            rows = X[row]
            rows[:, columns] = points[point]
            return rows

        return predict_streamed(self.predictor, len(points) * n, rows_at_points, self.progress, desc).reshape(
            len(points), n, -1)

    def compute(self, X, feature_idx, grid_resolution=50, percentiles=(0.05, 0.95)):
        """PD and ICE of one feature (see the class docstring)."""
        X = as_rows("X", X, columns=self.columns, reference="the model's feature_names_in_")
        feature = _check_feature("feature_idx", feature_idx, X.shape[1])
        grid_resolution = positive_int("grid_resolution", grid_resolution)
        if grid_resolution < 2:
            raise ValueError(f"grid_resolution: expected an integer > 1, got {grid_resolution}")
        values = feature_grid(X[:, feature], grid_resolution, _check_percentiles(percentiles))
        outputs = self._sweep(X, [feature], values[:, None], "PartialDependence")
        individual = self._select(np.swapaxes(outputs, 0, 1))
        params = {"feature_idx": feature, "grid_resolution": grid_resolution, "percentiles": percentiles,
                  "target": self.target}
        return Explanation({
            "feature_idx": feature,
            "feature_values": values,
            "predictions": individual.mean(axis=0),
            "individual": individual,
        }, "PartialDependence", params=params, model=self.predictor.model)

    def compute_2d(self, X, feature_idx1, feature_idx2, grid_resolution=30, percentiles=(0.05, 0.95)):
        """PD of two features on the cartesian product of their grids (see the class docstring)."""
        X = as_rows("X", X, columns=self.columns, reference="the model's feature_names_in_")
        first = _check_feature("feature_idx1", feature_idx1, X.shape[1])
        second = _check_feature("feature_idx2", feature_idx2, X.shape[1])
        if first == second:
            raise ValueError(f"feature_idx2: expected a feature other than feature_idx1, got {feature_idx2} twice")
        grid_resolution = positive_int("grid_resolution", grid_resolution)
        if grid_resolution < 2:
            raise ValueError(f"grid_resolution: expected an integer > 1, got {grid_resolution}")
        percentiles = _check_percentiles(percentiles)
        values1 = feature_grid(X[:, first], grid_resolution, percentiles)
        values2 = feature_grid(X[:, second], grid_resolution, percentiles)
        grid1, grid2 = np.meshgrid(values1, values2, indexing="ij")
        points = np.stack([grid1.ravel(), grid2.ravel()], axis=1)
        average = self._sweep(X, [first, second], points, "PartialDependence 2-D").mean(axis=1)
        params = {"feature_idx1": first, "feature_idx2": second, "grid_resolution": grid_resolution,
                  "percentiles": percentiles, "target": self.target}
        return Explanation({
            "feature_idx": (first, second),
            "feature1_values": values1,
            "feature2_values": values2,
            "feature1_grid": grid1,
            "feature2_grid": grid2,
            "predictions": self._select(average.reshape(len(values1), len(values2), -1)),
        }, "PartialDependence", params=params, model=self.predictor.model)

    @staticmethod
    def plot(result, feature_name=None, ice=True, max_ice=100, figsize=(6, 4)):
        """The PD line over up to ``max_ice`` ICE curves (thin grey). Returns the figure."""
        values, average = result["feature_values"], np.asarray(result["predictions"])
        if average.ndim != 1:
            raise ValueError("result: expected the predictions of one output; use target=<index> for several")
        figure, ax = plt.subplots(figsize=figsize)
        if ice:
            individual = result["individual"]
            for curve in individual[:: max(1, len(individual) // max_ice)][:max_ice]:
                ax.plot(values, curve, color="grey", alpha=0.25, linewidth=0.7)
        ax.plot(values, average, color="tab:orange", linewidth=2.5, label="average (PD)")
        ax.set_xlabel(feature_name or f"feature {result['feature_idx']}")
        ax.set_ylabel("prediction")
        ax.legend(loc="best", fontsize=8)
        ax.grid(True, alpha=0.3)
        figure.tight_layout()
        return figure

    @staticmethod
    def plot_2d(result, feature_names=None, kind="contour", figsize=(6, 5)):
        """A filled contour (``kind="contour"``) or a 3-D surface (``"surface"``) of a 2-D PD.
        Returns the figure."""
        if kind not in ("contour", "surface"):
            raise ValueError(f"kind: expected 'contour' or 'surface', got {describe(kind)}")
        surface = np.asarray(result["predictions"])
        if surface.ndim != 2:
            raise ValueError("result: expected the predictions of one output; use target=<index> for several")
        names = feature_names or [f"feature {i}" for i in result["feature_idx"]]
        figure = plt.figure(figsize=figsize)
        if kind == "surface":
            ax = figure.add_subplot(projection="3d")
            ax.plot_surface(result["feature1_grid"], result["feature2_grid"], surface, cmap="viridis")
            ax.set_zlabel("prediction")
        else:
            ax = figure.add_subplot()
            filled = ax.contourf(result["feature1_grid"], result["feature2_grid"], surface, levels=15, cmap="viridis")
            figure.colorbar(filled, ax=ax, label="prediction")
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
        ax.set_title("Partial dependence")
        figure.tight_layout()
        return figure
