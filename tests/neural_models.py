"""Small Keras networks with fixed weights for the neural-network classes of the toolbox."""
import keras
import numpy as np

RNG = np.random.default_rng(21)
W1 = RNG.normal(0, 0.7, (5, 8)).astype(np.float32)
B1 = RNG.normal(0, 0.3, 8).astype(np.float32)
W2 = RNG.normal(0, 0.7, (8, 3)).astype(np.float32)
B2 = RNG.normal(0, 0.3, 3).astype(np.float32)
K1 = RNG.normal(0, 0.5, (3, 3, 1, 4)).astype(np.float32)
K2 = RNG.normal(0, 0.4, (3, 3, 4, 6)).astype(np.float32)
WD = RNG.normal(0, 0.3, (6, 3)).astype(np.float32)


def mlp(package=keras, softmax=True):
    """dense 8 (ReLU) → dense 3 (softmax): logits = relu(x W1 + b1) W2 + b2."""
    model = package.Sequential([
        package.Input((5,)),
        package.layers.Dense(8, activation="relu", name="hidden"),
        package.layers.Dense(3, activation="softmax" if softmax else None, name="out"),
    ])
    model.get_layer("hidden").set_weights([W1, B1])
    model.get_layer("out").set_weights([W2, B2])
    return model


def mlp_logits(x):
    return np.maximum(x @ W1 + B1, 0) @ W2 + B2


def cnn(package=keras):
    """conv 3×3 (ReLU) → max-pool 2 → conv 3×3 (ReLU) → global average → dense 3 (softmax); 8×8×1 inputs."""
    model = package.Sequential([
        package.Input((8, 8, 1)),
        package.layers.Conv2D(4, 3, padding="same", activation="relu", use_bias=False, name="conv1"),
        package.layers.MaxPooling2D(2, name="pool"),
        package.layers.Conv2D(6, 3, padding="same", activation="relu", use_bias=False, name="conv2"),
        package.layers.GlobalAveragePooling2D(name="gap"),
        package.layers.Dense(3, activation="softmax", use_bias=False, name="out"),
    ])
    model.get_layer("conv1").set_weights([K1])
    model.get_layer("conv2").set_weights([K2])
    model.get_layer("out").set_weights([WD])
    return model


def rows(n, seed):
    return np.random.default_rng(seed).normal(size=(n, 5)).astype(np.float32)


def images(n, seed):
    return np.random.default_rng(seed).uniform(0, 1, size=(n, 8, 8, 1)).astype(np.float32)
