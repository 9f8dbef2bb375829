"""Classifiers of standardised iris with fixed weights written here, so that every machine explains the same models.

``W``/``B`` are a logistic regression of standardised iris rounded to one decimal (97% accurate).
The MLP computes ``softmax(relu(x)·W⊤ − 2 relu(−x)·W⊤ + B)`` (96% accurate): a Dense(8, relu)
layer with kernel ``[I, −I]`` and a Dense(3, softmax) layer with kernel ``[W⊤; −2W⊤]``.
"""
import numpy as np

W = np.array([[-1.1, 1.2, -1.9, -1.8], [0.6, -0.4, -0.4, -0.8], [0.5, -0.8, 2.3, 2.6]], np.float32)
B = np.array([-0.2, 2.1, -1.9], np.float32)
MLP_WEIGHTS = [np.concatenate([np.eye(4), -np.eye(4)], 1).astype(np.float32), np.zeros(8, np.float32),
               np.concatenate([W.T, -2.0 * W.T]).astype(np.float32), B]


def softmax(logits):
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def linear_probabilities(x):
    """The logistic regression as a NumPy black box; no operation mixes rows (no BLAS call),
    so a row's probabilities do not depend on the other rows of the batch."""
    x = np.asarray(x, np.float32)
    return softmax((x[:, None, :] * W).sum(-1) + B)


def mlp_probabilities(x):
    x = np.asarray(x, np.float32)
    return softmax((np.maximum(x, 0)[:, None, :] * W).sum(-1) - 2.0 * (np.maximum(-x, 0)[:, None, :] * W).sum(-1) + B)


def fixed_mlp(keras):
    """The MLP in ``keras`` (Keras 3 or tf_keras)."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.set_weights(MLP_WEIGHTS)
    return model


def rational_probabilities(x):
    """The logistic regression's logits ``z`` turned into probabilities ``q/Σq`` with ``q = (z − min z + 1)⁴``:
    only +, −, × and ÷ applied row by row, which round alike on every machine and for every batch."""
    x = np.asarray(x, np.float32)
    z = (x[:, None, :] * W).sum(-1) + B
    q = z - z.min(-1, keepdims=True) + 1
    q = (q * q) * (q * q)
    return q / q.sum(-1, keepdims=True)
