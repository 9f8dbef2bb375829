"""CEM benchmark: batching, the cost of one in-graph FISTA iteration, and of one black-box iteration.

1. 32 iris instances in one ``explain`` call against 32 single-instance calls
   (throughput ratio, and whether the results match).
2. One autodiff FISTA iteration against the floor: one forward + backward pass of
   the model on the same batch, both inside a compiled ``tf.while_loop``, both marginal
   costs (300 against 3000 iterations); what an explain call costs once is printed apart.
   Target: <= 2x the XLA-compiled floor.
3. One black-box iteration (a PN of one iris instance, logistic regression's
   ``predict_proba``, 10 c steps × 1000 iterations) against the one ``predict_proba``
   call it needs (the iterate, the slack and its 2·4 perturbations). Target: ≤ 3×.

Run: python bench/bench_cem.py
"""
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from timing import best_time, paired_best_times, result

from cem import CEM
from deepexplain.numerical_gradients import perturbed_rows
from deepexplain.runtime import EagerRuntime

N = 32


def mlp(X, y, hidden):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(X.shape[1:])] + [keras.layers.Dense(h, activation="relu") for h in hidden]
                             + [keras.layers.Dense(int(y.max()) + 1, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=10, batch_size=32, verbose=0)
    return model


def standardised(loader):
    X, y = loader(return_X_y=True)
    return ((X - X.mean(0)) / (X.std(0) + 1e-6)).astype(np.float32), y


def batching():
    X, y = standardised(load_iris)
    model = mlp(X, y, [16])
    cem = CEM(None, model, "PN", (1, 4), feature_range=(X.min(0) - .1, X.max(0) + .1), no_info_val=-1.,
              max_iterations=200, c_steps=5, c_init=1., learning_rate_init=5e-2)
    rows = X[np.linspace(0, len(X) - 1, N).astype(int)]
    batch_time = best_time(lambda: cem.explain(rows))
    single_time = best_time(lambda: [cem.explain(rows[i:i + 1]) for i in range(N)])
    batch, singles = cem.explain(rows), [cem.explain(rows[i:i + 1]) for i in range(N)]
    found = np.array([s["found"][0] for s in singles])
    pn = np.concatenate([s["PN"] if s["PN"] is not None else np.full((1, 4), np.nan) for s in singles])
    both = found & batch["found"]
    identical = np.all(np.isclose(pn, batch["PN"], atol=1e-4), 1)[both]
    distance = np.array([s["distance"][0] if s["found"][0] else np.nan for s in singles])
    relative = np.abs(distance - batch["distance"])[both] / distance[both]
    print(f"[1] iris MLP, {N} instances, PN, 5 c steps x 200 iterations")
    print(f"    one explain call: {batch_time:.2f} s   {N} single calls: {single_time:.2f} s   "
          f"throughput ratio: {single_time / batch_time:.1f}x")
    print(f"    results: found flags equal {np.sum(found == batch['found'])}/{N}; PN equal (atol 1e-4) "
          f"{identical.sum()}/{both.sum()}; largest relative difference of the distance {relative.max():.1%}")


def floor_vs_iteration(name, X, y, hidden, short=300, long=3000, repeats=5):
    """One autodiff FISTA iteration against one forward + backward pass of the model on the same rows.

    Both are marginal costs, ``(time of long − time of short iterations) / (long − short)``, timed
    alternately, so that what a call costs once is reported apart: CEM's input checks, its two
    predict calls and its result; the floor's launch.
    """
    model = mlp(X, y, hidden)
    rows = X[:N]
    explainers = [CEM(None, model, "PN", (1,) + X.shape[1:], no_info_val=float(X.min()), max_iterations=iterations,
                      c_steps=1, feature_range=(X.min() - 1, X.max() + 1)) for iterations in (short, long)]
    cem_short, cem_long = paired_best_times(*[lambda e=e: e.explain(rows, verbose=False) for e in explainers],
                                            repeats=repeats)
    predict_time = best_time(lambda: explainers[0].predictor(rows), repeats=repeats)
    per_iteration = (cem_long - cem_short) / (long - short)
    per_call = cem_short - short * per_iteration

    def fwd_bwd_loop(iterations):
        def loop(x):
            def body(k, acc):
                grad = tf.gradients(tf.reduce_sum(model(x + acc, training=False)), x)[0]
                return k + 1, acc + 0.0 * grad
            return tf.while_loop(lambda k, acc: k < iterations, body, (tf.constant(0), tf.zeros_like(x)))[1]
        return loop

    spec = [tf.TensorSpec((None,) + X.shape[1:], tf.float32)]
    print(f"[2] {name}: batch {N}, one explain call of {short} iterations {cem_short * 1e3:.2f} ms, of which "
          f"{per_call * 1e3:.2f} ms once per call (its two predict calls {2 * predict_time * 1e3:.2f} ms)")
    rows_out = []
    for compiled, jit in (("XLA", True), ("plain", False)):  # CEM's loop is XLA-compiled in eager style
        floors = [EagerRuntime(jit_compile=jit).compile(fwd_bwd_loop(n), spec) for n in (short, long)]
        floor_short, floor_long = paired_best_times(*[lambda f=f: f(rows) for f in floors], repeats=repeats)
        per_floor = (floor_long - floor_short) / (long - short)
        whole_call = (cem_short - 2 * predict_time) / (short + 1)  # the figure of earlier rounds
        print(f"    one FISTA iteration {per_iteration * 1e6:.1f} us vs one {compiled} forward+backward "
              f"{per_floor * 1e6:.1f} us: ratio {per_iteration / per_floor:.2f}x"
              + (" (target <= 2x)" if jit else "")
              + f"; with the call's own cost spread over its {short} iterations: {whole_call * 1e6:.1f} us, "
              f"{whole_call / per_floor:.2f}x")
        if jit:
            rows_out.append(result(f"CEM iteration, {name}", per_iteration, per_floor, 2, "XLA forward+backward"))
    return rows_out


def black_box_iteration(c_steps=10, iterations=1000, calls=1000):
    X, y = standardised(load_iris)
    clf = LogisticRegression(max_iter=500).fit(X, y)
    cem = CEM(None, clf.predict_proba, "PN", (1, 4), feature_range=(X.min(0) - .1, X.max(0) + .1),
              max_iterations=iterations, c_steps=c_steps).fit(X)
    x = X[70:71]
    explain_time = best_time(lambda: cem.explain(x, verbose=False))
    rows = np.concatenate([x, x, perturbed_rows(x, 1e-3)])  # what one iteration asks the model about
    predict_time = best_time(lambda: [clf.predict_proba(rows) for _ in range(calls)]) / calls
    per_iteration = explain_time / (c_steps * iterations)
    print(f"[3] black-box PN of one iris instance, logistic regression, {c_steps} c steps x {iterations} iterations: "
          f"{explain_time:.2f} s; one iteration {per_iteration * 1e6:.0f} us vs its predict_proba call on "
          f"{len(rows)} rows {predict_time * 1e6:.0f} us: ratio {per_iteration / predict_time:.2f}x (target <= 3x)")
    return [result("CEM black-box iteration, iris", per_iteration, predict_time, 3, "its predict_proba call")]


def results(quick=False):
    """The rows of this benchmark, for ``python -m bench``."""
    repeats = 3 if quick else 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rows without a PN: the timings hold all the same
        rows = black_box_iteration()
        batching()
        rows += floor_vs_iteration("iris MLP 4-16-3", *standardised(load_iris), [16], repeats=repeats)
        return rows + floor_vs_iteration("digits MLP 64-256-256-10", *standardised(load_digits), [256, 256],
                                         repeats=repeats)


if __name__ == "__main__":
    results()
