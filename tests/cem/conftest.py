import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


@pytest.fixture(scope="session")
def iris():
    """Standardised iris features (float32) and labels."""
    X, y = load_iris(return_X_y=True)
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32), y


@pytest.fixture(scope="session")
def feature_range(iris):
    X, _ = iris
    return X.min(0) - 0.1, X.max(0) + 0.1


@pytest.fixture(scope="session")
def logistic(iris):
    X, y = iris
    return LogisticRegression(max_iter=500).fit(X, y)


@pytest.fixture(scope="session")
def mlp(iris):
    """A small trained Keras 3 MLP ending in a softmax."""
    import keras

    X, y = iris
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=20, batch_size=32, verbose=0)
    return model
