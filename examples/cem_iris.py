"""CEM on iris: a scikit-learn logistic regression as a black box, and a Keras MLP; counterfactuals.

Prints the pertinent negatives (what would have to be added to change the class) and the
pertinent positives (what is enough to keep it) and draws them as bars per feature.

Run: python examples/cem_iris.py [--out DIR]   (writes DIR/cem_iris.png; DIR defaults to out)
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from example_args import output_directory
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from cem import CEM, Counterfactual

NO_INFO = -1.0
"""The no-information value of the pertinent positives: one standard deviation below the mean."""


def data():
    iris = load_iris()
    X = ((iris.data - iris.data.mean(0)) / iris.data.std(0)).astype(np.float32)
    return X, iris.target, iris.feature_names


def show(result, mode, names):
    for i, x in enumerate(result["X"]):
        if not result["found"][i]:
            print(f"  instance {i}: no {mode} found")
            continue
        if mode == "PP" and result["PP_empty"][i]:
            print(f"  instance {i}: class {result['X_pred'][i]} is already the class of the no-information instance: "
                  "empty PP")
            continue
        change = result[mode][i] - x if mode == "PN" else result[mode][i] - NO_INFO
        parts = ", ".join(f"{n} {v:+.2f}" for n, v in zip(names, change) if abs(v) >= 5e-3)
        print(f"  instance {i}: class {result['X_pred'][i]} -> {result[mode + '_pred'][i]} "
              f"(distance {result['distance'][i]:.3f}); {'changes' if mode == 'PN' else 'kept from no_info_val'}: "
              f"{parts or 'nothing'}")


def plot(pn, pp, names, path):
    """Per instance: the instance and its PN as bars from 0 (the mean), its PP as bars from
    ``no_info_val``, feature by feature; returns the figure."""
    n = len(pn["X"])
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 3.5), sharey=True, squeeze=False)
    positions = np.arange(len(names))
    for i, ax in enumerate(axes[0]):
        ax.barh(positions - 0.27, pn["X"][i], 0.27, label=f"instance (class {pn['X_pred'][i]})", color="0.5")
        if pn["found"][i]:
            ax.barh(positions, pn["PN"][i], 0.27, label=f"PN (class {pn['PN_pred'][i]})", color="tab:red")
        if pp["found"][i]:
            label = "PP (empty)" if pp["PP_empty"][i] else f"PP (class {pp['PP_pred'][i]})"
            ax.barh(positions + 0.27, pp["PP"][i] - NO_INFO, 0.27, left=NO_INFO, label=label, color="tab:blue")
        ax.axvline(NO_INFO, color="k", linestyle=":", linewidth=1)
        ax.set_yticks(positions, names)
        ax.set_title(
            f"instance {i}: PN of the logistic regression,\nPP of the MLP (from no_info_val, dotted)", fontsize=9
        )
        ax.set_xlabel("standardised value")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    return fig


def main(directory=Path("out"), max_iterations=300):
    X, y, names = data()
    feature_range = (X.min(0) - .1, X.max(0) + .1)
    instances = X[[20, 70, 120]]

    clf = LogisticRegression(max_iter=500).fit(X, y)
    print("Logistic regression (black box, numerical gradients), pertinent negatives:")
    pn = CEM(None, clf.predict_proba, "PN", (1, 4), feature_range=feature_range, max_iterations=max_iterations,
             c_init=1., c_steps=5, learning_rate_init=5e-2).fit(X).explain(instances)
    show(pn, "PN", names)

    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=30, verbose=0)
    print("Keras MLP (autodiff, the optimisation in a compiled loop), pertinent positives:")
    pp = CEM(None, model, "PP", (1, 4), feature_range=feature_range, max_iterations=max_iterations,
             c_init=1., c_steps=5, learning_rate_init=5e-2, no_info_val=NO_INFO).explain(instances)
    show(pp, "PP", names)

    print("Counterfactuals of instance 20 (class 0) for class 1:")
    cf = Counterfactual(clf.predict_proba, (X.min(0), X.max(0)))
    for c in cf.generate(X[20], target_class=1, n_counterfactuals=2, max_iterations=300):
        print(f"  class {clf.predict(c[None])[0]}, distance {cf.distance(X[20], c):.3f}: {np.round(c, 2)}")

    path = directory / "cem_iris.png"
    figure = plot(pn, pp, names, path)
    print(f"saved {path}")
    return figure


if __name__ == "__main__":
    main(output_directory("CEM on iris: pertinent negatives and positives of a black box and of a Keras MLP."))
