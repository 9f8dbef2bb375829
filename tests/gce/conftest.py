"""Shared fixtures of the GCE tests: digits 3 vs 8 and a small CNN trained on them."""
import numpy as np
import pytest
import tensorflow as tf
from gce_models import digits_3_vs_8


@pytest.fixture(scope="module")
def digits():
    return digits_3_vs_8()


@pytest.fixture(scope="module")
def digits_classifier(digits):
    """A small CNN trained on fixed seeds (its accuracy is checked, not its bits)."""
    if not tf.executing_eagerly():
        pytest.skip("Keras 3 needs eager execution")
    import keras

    X, y = digits
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=20, batch_size=32, verbose=0)
    accuracy = np.mean(np.argmax(model.predict(X, verbose=0), axis=1) == y)
    assert accuracy > 0.95
    return model
