"""Global-explanation benchmark: PermutationImportance and PartialDependence against their floor
and against sklearn.inspection, side by side in one run.

The floor is ONE batched forward pass (our compiled predictor) over exactly the rows the method
needs, built beforehand in float32 (what the compiled model is fed; the methods build their rows
in float32 for TensorFlow models too): for permutation importance the 500 rows plus 30 features × 10 repeats
× 500 permuted rows; for partial dependence the 500 rows at each of the 50 (1-D) or 30 × 30
(2-D) grid points. scikit-learn gets the same compiled predictor behind a minimal estimator (the
fastest wrapper it can have).

1. PermutationImportance, 30-64-32-2 MLP on breast cancer, accuracy, n_repeats=10, 500 rows
   (target <= 1.5x).
2. PartialDependence, same model, 500 rows: one feature, grid 50; two features, grid 30 x 30
   (target <= 1.5x each).

Run: python bench/bench_inspection.py
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from explainable_workloads import breast_cancer_mlp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.inspection import partial_dependence, permutation_importance
from timing import best_time, paired_best_times, result

from deepexplain.explainable import PartialDependence, PermutationImportance

N_ROWS, N_REPEATS = 500, 10


class PredictorClassifier(ClassifierMixin, BaseEstimator):
    """A fitted scikit-learn classifier around a Predictor."""

    classes_ = np.array([0, 1])

    def __init__(self, predictor=None):
        self.predictor = predictor

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return self.predictor(X)

    def predict(self, X):
        return np.argmax(self.predictor(X), axis=1)

    def __sklearn_is_fitted__(self):
        return True


def report(name, ours_time, floor_time, sklearn_time, rows):
    print(f"    {name}: {rows:,} model rows   ours {ours_time * 1e3:.1f} ms   floor {floor_time * 1e3:.1f} ms   "
          f"ratio {ours_time / floor_time:.2f}x (target <= 1.5x)")
    print(f"    {' ' * len(name)}  sklearn.inspection {sklearn_time * 1e3:.1f} ms   ratio to floor "
          f"{sklearn_time / floor_time:.1f}x   speed-up {sklearn_time / ours_time:.1f}x")
    return [result(name, ours_time, floor_time, 1.5),
            result(f"{name} vs sklearn", ours_time, sklearn_time, 1, "sklearn.inspection")]


def permutation():
    model, X, y = breast_cancer_mlp()
    X, y = X[:N_ROWS].astype(np.float64), y[:N_ROWS]
    importance = PermutationImportance(model, "accuracy", n_repeats=N_REPEATS, random_state=0, progress=False)
    rng = np.random.default_rng(0)
    copies = [X]
    for j in range(X.shape[1]):
        for _ in range(N_REPEATS):
            copy = X.copy()
            copy[:, j] = rng.permutation(copy[:, j])
            copies.append(copy)
    rows = np.concatenate(copies).astype(np.float32)  # the precision the compiled model is fed
    ours_time, floor_time = paired_best_times(lambda: importance.compute(X, y), lambda: importance.predictor(rows),
                                              repeats=7)
    estimator = PredictorClassifier(importance.predictor)
    sklearn_time = best_time(lambda: permutation_importance(estimator, X, y, scoring="accuracy", n_repeats=N_REPEATS,
                                                            random_state=0))
    print(f"[1] PermutationImportance, MLP on breast cancer, accuracy, n_repeats={N_REPEATS}, {N_ROWS} rows")
    return report("permutation importance", ours_time, floor_time, sklearn_time, len(rows))


def dependence():
    model, X, _ = breast_cancer_mlp()
    X = X[:N_ROWS].astype(np.float64)
    calculator = PartialDependence(model, progress=False)
    estimator = PredictorClassifier(calculator.predictor)
    print(f"[2] PartialDependence, MLP on breast cancer, {N_ROWS} rows")
    reported = []
    for name, ours, theirs, columns, _grid in (
        ("1 feature, grid 50", lambda: calculator.compute(X, 0, grid_resolution=50),
         lambda: partial_dependence(estimator, X, [0], method="brute", grid_resolution=50), [0], 50),
        ("2 features, grid 30x30", lambda: calculator.compute_2d(X, 0, 1, grid_resolution=30),
         lambda: partial_dependence(estimator, X, [(0, 1)], method="brute", grid_resolution=30), [0, 1], 30),
    ):
        result = ours()
        values = [result["feature_values"]] if len(columns) == 1 else [result["feature1_values"],
                                                                        result["feature2_values"]]
        points = np.stack(np.meshgrid(*values, indexing="ij"), -1).reshape(-1, len(columns))
        rows = np.repeat(X[None], len(points), axis=0)
        rows[:, :, columns] = points[:, None, :]
        rows = rows.reshape(-1, X.shape[1]).astype(np.float32)
        ours_time, floor_time = paired_best_times(ours, lambda rows=rows: calculator.predictor(rows), repeats=7)
        reported += report(f"partial dependence {name}", ours_time, floor_time, best_time(theirs), len(rows))
    return reported


def results(quick=False):
    """The rows of this benchmark, for ``python -m bench``."""
    return permutation() + dependence()


if __name__ == "__main__":
    permutation()
    dependence()
