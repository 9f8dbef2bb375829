"""Models with fixed, hand-set weights in the three kinds every explainable class accepts:
Keras 3, tf_keras (eager) and scikit-learn."""
import numpy as np
import pytest

KINDS = ["keras3", "tf_keras", "sklearn"]
kinds = pytest.mark.parametrize("kind", KINDS)


def _keras(kind):
    if kind == "keras3":
        import keras

        return keras
    import tf_keras

    return tf_keras


def linear_model(kind, weights, bias=0.0):
    """A regressor with one output ``x · weights + bias``."""
    weights = np.asarray(weights, dtype=np.float64)
    if kind == "sklearn":
        from sklearn.linear_model import LinearRegression

        model = LinearRegression()
        model.coef_, model.intercept_, model.n_features_in_ = weights, float(bias), len(weights)
        return model
    keras = _keras(kind)
    model = keras.Sequential([keras.Input((len(weights),)), keras.layers.Dense(1)])
    model.layers[0].set_weights([weights[:, None].astype(np.float32), np.array([bias], np.float32)])
    return model


def logistic_model(kind, weights, bias=0.0):
    """A binary classifier with outputs ``[1 − σ(x · weights + bias), σ(x · weights + bias)]``."""
    weights = np.asarray(weights, dtype=np.float64)
    if kind == "sklearn":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression()
        model.classes_ = np.array([0, 1])
        model.coef_, model.intercept_, model.n_features_in_ = weights[None], np.array([float(bias)]), len(weights)
        return model
    keras = _keras(kind)
    model = keras.Sequential([keras.Input((len(weights),)), keras.layers.Dense(2, activation="softmax")])
    kernel = np.stack([-weights / 2, weights / 2], axis=1).astype(np.float32)
    model.layers[0].set_weights([kernel, np.array([-bias / 2, bias / 2], np.float32)])
    return model


def sigmoid(z):
    return 1 / (1 + np.exp(-z))
