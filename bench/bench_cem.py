"""CEM benchmark: batching, the cost of one in-graph FISTA iteration, and of one black-box iteration.

1. 32 iris instances in one ``explain`` call against 32 single-instance calls
   (throughput ratio, and whether the results match).
2. One autodiff FISTA iteration against the floor: one forward + backward pass of
   the model on the same batch, both inside a compiled ``tf.while_loop``.
3. One black-box iteration (a PN of one iris instance, logistic regression's
   ``predict_proba``, 10 c steps × 1000 iterations) against the one ``predict_proba``
   call it needs (the iterate, the slack and its 2·4 perturbations). Target: ≤ 3×.

Run: python bench/bench_cem.py
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from timing import best_time

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


def floor_vs_iteration(name, X, y, hidden, iterations=300):
    model = mlp(X, y, hidden)
    rows = X[:N]
    cem = CEM(None, model, "PN", (1,) + X.shape[1:], no_info_val=float(X.min()), max_iterations=iterations,
              c_steps=1, feature_range=(X.min() - 1, X.max() + 1))
    cem_time = best_time(lambda: cem.explain(rows, verbose=False), repeats=5)  # one call per c round
    predict_time = best_time(lambda: cem.predictor(rows), repeats=5)  # explain's two predict calls

    def fwd_bwd_loop(x):
        def body(k, acc):
            grad = tf.gradients(tf.reduce_sum(model(x + acc, training=False)), x)[0]
            return k + 1, acc + 0.0 * grad
        return tf.while_loop(lambda k, acc: k < iterations, body, (tf.constant(0), tf.zeros_like(x)))[1]

    per_iteration = (cem_time - 2 * predict_time) / (iterations + 1)
    spec = [tf.TensorSpec((None,) + X.shape[1:], tf.float32)]
    for compiled, jit in (("XLA", True), ("plain", False)):  # CEM's loop is XLA-compiled in eager style
        floor = EagerRuntime(jit_compile=jit).compile(fwd_bwd_loop, spec)
        per_floor = best_time(lambda floor=floor: floor(rows), repeats=5) / iterations
        print(f"[2] {name}: batch {N}, one FISTA iteration {per_iteration * 1e6:.0f} us vs one {compiled} "
              f"forward+backward {per_floor * 1e6:.0f} us: ratio {per_iteration / per_floor:.2f}x")


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


if __name__ == "__main__":
    black_box_iteration()
    batching()
    floor_vs_iteration("iris MLP 4-16-3", *standardised(load_iris), [16])
    floor_vs_iteration("digits MLP 64-256-256-10", *standardised(load_digits), [256, 256])
