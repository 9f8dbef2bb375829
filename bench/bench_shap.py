"""SHAP benchmark: KernelShap against its floor and shap.KernelExplainer; TreeShap against
shap.TreeExplainer. Everything is timed side by side in one run.

1. KernelShap on a 30-64-32-2 Keras MLP trained on breast cancer, kmeans(20) background,
   2048 coalitions: its time divided by ONE batched forward pass over exactly the model rows
   it needs (samples × coalitions × background, built beforehand), and shap.KernelExplainer's
   time on the same work (its model: our compiled predictor, the fastest wrapper it can get).
2. Memory: KernelShap's peak traced allocation while explaining 100 rows with 2048
   coalitions and 100 background rows (20.5 million model rows), against the size of those
   rows if they were materialised.
3. TreeShap on a RandomForest (100 trees, depth 8) for 1000 rows, both perturbation modes,
   against shap.TreeExplainer (interventional with 100 background rows).
4. Trees and tables (issue #17): TreeShap for 1,000 rows, construction included, both modes
   (interventional with 100 background rows), against shap.TreeExplainer on XGBoost and
   LightGBM (100 trees, depth 6, friedman1), a default ExtraTreesRegressor on
   make_friedman1(2000) (deep trees, ~200,000 leaves) and HistGradientBoosting on diabetes;
   and KernelShap against shap.KernelExplainer on that HGB (nsamples=512, 50 background rows).
   Target ours/shap <= 1.0 everywhere. ``results(quick=True)`` leaves out the ExtraTrees workload.

Run: python bench/bench_shap.py
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tracemalloc
import warnings

import keras
import numpy as np
import shap
from shap.utils._legacy import DenseData
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from timing import best_time, paired_best_times

from deepexplain.explainable import KernelShap, TreeShap, summarize
from deepexplain.explainable.shap.coalitions import kernel_coalitions

N_EXPLAINED = 10
N_COALITIONS = 2048


def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32), y


def mlp(X, y):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(32, activation="relu"), keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=5, batch_size=64, verbose=0)
    return model


def kernel_shap():
    X, y = breast_cancer()
    model = mlp(X, y)
    background = summarize(X, 20)
    samples = X[-N_EXPLAINED:]
    explainer = KernelShap(model, background)
    masks, _ = kernel_coalitions(30, N_COALITIONS, np.random.default_rng(0))
    rows = np.where(masks[None, :, None, :], samples[:, None, None, :], background.data[None, None]).reshape(-1, 30)

    def ours():
        return explainer.explain(samples, n_samples=N_COALITIONS, random_state=0, progress=False)

    def floor():
        return explainer.predictor(rows)

    ours_time, floor_time = paired_best_times(ours, floor, repeats=3)
    print(f"[1] KernelShap, 30-64-32-2 MLP on breast cancer, kmeans(20), {N_COALITIONS} coalitions, "
          f"{N_EXPLAINED} samples ({len(rows):,} model rows)")
    print(f"    KernelShap {ours_time:.3f} s   floor (one batched forward pass over those rows) {floor_time:.3f} s   "
          f"ratio {ours_time / floor_time:.2f}x (target <= 1.5x)")
    reference = shap.KernelExplainer(lambda x: explainer.predictor(x), DenseData(
        background.data, [f"f{j}" for j in range(30)], None, background.weights))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_time = best_time(
            lambda: reference.shap_values(samples, nsamples=N_COALITIONS, l1_reg=False, silent=True), repeats=1)
    print(f"    shap.KernelExplainer (same background, l1_reg=False, our compiled predictor as its model) "
          f"{theirs_time:.3f} s   ratio to floor {theirs_time / floor_time:.2f}x   KernelShap speed-up "
          f"{theirs_time / ours_time:.1f}x")
    result = ours()
    theirs = np.asarray(reference.shap_values(samples, nsamples=N_COALITIONS, l1_reg=False, silent=True))
    print(f"    largest difference to shap's values {np.abs(result['values'] - theirs).max():.2e} "
          f"(both sample coalitions; efficiency error ours "
          f"{np.abs(result['values'].sum(1) + result['expected_value'] - explainer.predictor(samples)).max():.1e})")


def memory():
    X, _ = breast_cancer()
    samples, background = X[:100], X[-100:]
    explainer = KernelShap(lambda rows: rows @ np.linspace(-1, 1, 30), background)
    tracemalloc.start()
    explainer.explain(samples, n_samples=N_COALITIONS, random_state=0, batch_size=8192, progress=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows = len(samples) * N_COALITIONS * len(background)
    print(f"[2] KernelShap memory, {len(samples)} rows x {N_COALITIONS} coalitions x {len(background)} background "
          f"({rows / 1e6:.1f} million model rows, {rows * 30 * 4 / 2**30:.1f} GiB if materialised)")
    print(f"    peak traced allocation {peak / 2**20:.1f} MiB with batch_size=8192")


def tree_shap():
    X, y = breast_cancer()
    forest = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0).fit(X, y)
    rows = np.tile(X, (2, 1))[:1000]
    background = X[::6][:100]
    print("[3] TreeShap, RandomForest 100 trees depth 8, 1000 rows")
    for mode, data in (("interventional", background), ("tree_path_dependent", None)):
        ours = TreeShap(forest, data=data, feature_perturbation=mode)
        theirs = shap.TreeExplainer(forest, data=data, feature_perturbation=mode)
        ours_time, theirs_time = paired_best_times(
            lambda ours=ours: ours.explain(rows),
            lambda theirs=theirs: theirs.shap_values(rows, check_additivity=False),
            repeats=1 if data is not None else 3)
        difference = np.abs(ours.explain(rows)["values"] - theirs.shap_values(rows, check_additivity=False)).max()
        print(f"    {mode:20s} TreeShap {ours_time:.3f} s   shap.TreeExplainer {theirs_time:.3f} s   "
              f"ratio {ours_time / theirs_time:.2f}x (target <= 1x)   largest difference {difference:.1e}")


def _tree_workloads():
    import lightgbm
    import xgboost
    from sklearn.datasets import load_diabetes, make_friedman1
    from sklearn.ensemble import ExtraTreesRegressor, HistGradientBoostingRegressor

    friedman, target = make_friedman1(2000, noise=0.5, random_state=0)
    diabetes, progression = load_diabetes(return_X_y=True)
    boosted = {"n_estimators": 100, "max_depth": 6, "random_state": 0}
    return [
        ("XGBoost 100x6", xgboost.XGBRegressor(**boosted, n_jobs=1).fit(friedman, target), friedman),
        ("LightGBM 100x6", lightgbm.LGBMRegressor(**boosted, num_leaves=63, n_jobs=1, verbose=-1)
         .fit(friedman, target), friedman),
        ("ExtraTrees default", ExtraTreesRegressor(random_state=0, n_jobs=1).fit(friedman, target), friedman),
        ("HGB diabetes", HistGradientBoostingRegressor(random_state=0).fit(diabetes, progression), diabetes),
    ]


def _seconds(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _row(method, ours_time, shap_time, target=1.0):
    ratio = ours_time / shap_time
    print(f"    {method:48s} ours {ours_time:8.3f} s   shap {shap_time:8.3f} s   ratio {ratio:5.2f}x "
          f"(target <= {target}x)")
    return {"method": method, "ours_s": ours_time, "anchor_s": shap_time, "ratio": ratio, "target": target,
            "met": bool(ratio <= target)}


def trees_and_tables(n_rows=1000, deep=True):
    """Rows of section 4: TreeShap (construction included) and KernelShap against shap; ``deep``:
    with the ExtraTrees workload (minutes per call)."""
    rows = []
    print(f"[4] TreeShap against shap.TreeExplainer, {n_rows} rows, construction included")
    workloads = _tree_workloads()
    for name, model, data in workloads:
        if name.startswith("ExtraTrees") and not deep:
            continue
        explained = np.resize(data, (n_rows, data.shape[1]))
        background = data[::max(1, len(data) // 100)][:100]
        for mode in ("tree_path_dependent", "interventional"):
            chosen = background if mode == "interventional" else None

            def ours(model=model, chosen=chosen, mode=mode, explained=explained):
                return TreeShap(model, data=chosen, feature_perturbation=mode).explain(explained)

            def theirs(model=model, chosen=chosen, mode=mode, explained=explained):
                return shap.TreeExplainer(model, data=chosen, feature_perturbation=mode).shap_values(
                    explained, check_additivity=False)

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if name.startswith("ExtraTrees"):   # minutes per call: one timed call each
                    ours_time, theirs_time = _seconds(ours), _seconds(theirs)
                else:
                    ours_time, theirs_time = paired_best_times(ours, theirs, repeats=2)
            rows.append(_row(f"TreeShap {mode} {name}", ours_time, theirs_time))
    _, model, diabetes = workloads[-1]
    background, samples = diabetes[::9][:50], diabetes[:10]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_time, theirs_time = paired_best_times(
            lambda: KernelShap(model, background).explain(samples, n_samples=512, random_state=0, progress=False),
            lambda: shap.KernelExplainer(model.predict, background).shap_values(samples, nsamples=512, l1_reg=False,
                                                                                 silent=True),
            repeats=2)
    rows.append(_row("KernelShap HGB diabetes nsamples=512, 10 rows", ours_time, theirs_time))
    return rows


def results(quick=False):
    """The rows of section 4 (the trees-and-tables workloads), for ``python -m bench``; ``quick``
    leaves out the ExtraTrees workload."""
    return trees_and_tables(1000, deep=not quick)


if __name__ == "__main__":
    kernel_shap()
    memory()
    tree_shap()
    trees_and_tables()
