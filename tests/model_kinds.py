"""Small multilayer perceptrons with fixed weights, one of each model kind the adapter accepts."""
import numpy as np
import tensorflow as tf

RNG = np.random.default_rng(0)
W1 = RNG.normal(size=(4, 5)).astype(np.float32)
B1 = RNG.normal(size=5).astype(np.float32)
W2 = RNG.normal(size=(5, 3)).astype(np.float32)
X = RNG.normal(size=(37, 4)).astype(np.float32)


def numpy_mlp(x):
    hidden = np.maximum(np.asarray(x, np.float64) @ W1 + B1, 0)
    logits = hidden @ W2
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def keras_mlp(keras):
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(5, activation="relu"),
        keras.layers.Dropout(0.5),  # inference mode: no effect
        keras.layers.Dense(3, use_bias=False, activation="softmax"),
    ])
    model.layers[0].set_weights([W1, B1])
    model.layers[2].set_weights([W2])
    return model


class ModuleMLP(tf.Module):
    def __init__(self):
        super().__init__()
        self.w1, self.b1, self.w2 = tf.Variable(W1), tf.Variable(B1), tf.Variable(W2)

    def __call__(self, x):
        return tf.nn.softmax(tf.matmul(tf.nn.relu(tf.matmul(x, self.w1) + self.b1), self.w2))


def make_model(kind):
    if kind == "keras3":
        import keras

        return keras_mlp(keras)
    if kind == "tf_keras":
        import tf_keras

        return keras_mlp(tf_keras)
    if kind == "module":
        return ModuleMLP()
    return numpy_mlp
