"""The models the explainable-toolbox benchmarks time: a 30-64-32-2 MLP on breast cancer and a
small CNN on 32×32 digits (trained briefly: only their cost matters)."""
import keras
import numpy as np
from skimage.transform import resize
from sklearn.datasets import load_breast_cancer, load_digits


def breast_cancer_mlp():
    """``(model, X, y)``: standardised breast cancer and a 30-64-32-2 softmax MLP."""
    X, y = load_breast_cancer(return_X_y=True)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(32, activation="relu"), keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=5, batch_size=64, verbose=0)
    return model, X, y


def digits_cnn():
    """``(model, images, y)``: digits upsampled to 32×32×1 in [0, 1] and a two-conv CNN."""
    digits = load_digits()
    images = np.stack([resize(image / 16, (32, 32), order=1) for image in digits.images])[..., None]
    images = images.astype(np.float32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((32, 32, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(images, digits.target, epochs=2, batch_size=64, verbose=0)
    return model, images, digits.target
