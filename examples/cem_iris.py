"""CEM on iris: a scikit-learn logistic regression as a black box, and a Keras MLP.

Run: python examples/cem_iris.py
"""
import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from cem import CEM, Counterfactual


def data():
    iris = load_iris()
    X = ((iris.data - iris.data.mean(0)) / iris.data.std(0)).astype(np.float32)
    return X, iris.target, iris.feature_names


def show(result, mode, names):
    for i, x in enumerate(result["X"]):
        if not result["found"][i]:
            print(f"  instance {i}: no {mode} found")
            continue
        change = result[mode][i] - x if mode == "PN" else result[mode][i]
        parts = ", ".join(f"{n} {v:+.2f}" for n, v in zip(names, change) if abs(v) > 1e-6)
        print(f"  instance {i}: class {result['X_pred'][i]} -> {result[mode + '_pred'][i]} "
              f"(distance {result['distance'][i]:.3f}); {'changes' if mode == 'PN' else 'kept'}: {parts or 'nothing'}")


def main(max_iterations=300):
    X, y, names = data()
    feature_range = (X.min(0) - .1, X.max(0) + .1)
    instances = X[[20, 70, 120]]

    clf = LogisticRegression(max_iter=500).fit(X, y)
    print("Logistic regression (black box, numerical gradients), pertinent negatives:")
    pn = CEM(None, clf.predict_proba, "PN", (1, 4), feature_range=feature_range, max_iterations=max_iterations,
             c_init=1., c_steps=5, learning_rate_init=5e-2).fit(X)
    show(pn.explain(instances), "PN", names)

    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=30, verbose=0)
    print("Keras MLP (autodiff, the whole optimisation in one compiled loop per c), pertinent positives:")
    pp = CEM(None, model, "PP", (1, 4), feature_range=feature_range, max_iterations=max_iterations,
             c_init=1., c_steps=5, learning_rate_init=5e-2, no_info_val=-1.)
    show(pp.explain(instances), "PP", names)

    print("Counterfactuals of instance 20 (class 0) for class 1:")
    cf = Counterfactual(clf.predict_proba, (X.min(0), X.max(0)))
    for c in cf.generate(X[20], target_class=1, n_counterfactuals=2, max_iterations=300):
        print(f"  class {clf.predict(c[None])[0]}, distance {cf.distance(X[20], c):.3f}: {np.round(c, 2)}")


if __name__ == "__main__":
    main()
