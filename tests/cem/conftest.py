import numpy as np
import pytest
from cem_models import fixed_mlp
from sklearn.datasets import load_iris


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
def mlp():
    """The fixed MLP as a Keras 3 model."""
    import keras

    return fixed_mlp(keras)
