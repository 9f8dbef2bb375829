"""Small hand-built models and data for the GCE tests, in Keras 3 (eager) or tf_keras (session)."""
import numpy as np
from sklearn.datasets import load_digits


def digits_3_vs_8():
    """Digit images 3 (label 0) and 8 (label 1), 8x8x1 in [0, 1]."""
    data = load_digits()
    keep = np.isin(data.target, [3, 8])
    return (data.images[keep] / 16.0).astype(np.float32)[..., None], (data.target[keep] == 8).astype(np.int64)


def softmax_classifier(keras, weights, bias):
    """``softmax(x @ weights + bias)`` as a Keras model with fixed weights."""
    model = keras.Sequential([keras.Input((weights.shape[0],)),
                              keras.layers.Dense(weights.shape[1], activation="softmax")])
    model.set_weights([weights.astype(np.float32), bias.astype(np.float32)])
    return model


def linear_vae(keras, decoder_kernel):
    """A linear encoder (to mu and logvar) and the decoder ``z ↦ z @ decoder_kernel``."""
    latent, features = decoder_kernel.shape
    x = keras.Input((features,))
    encoder = keras.Model(x, [keras.layers.Dense(latent)(x), keras.layers.Dense(latent)(x)])
    z = keras.Input((latent,))
    decoder = keras.Model(z, keras.layers.Dense(features, use_bias=False)(z))
    decoder.set_weights([decoder_kernel.astype(np.float32)])
    return encoder, decoder


def softmax(logits):
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def information_flow_numpy(p):
    """Î = H(q) − mean_i H(p_i) from p (Nα, M), in float64."""
    def entropy(r):
        return -np.sum(r * np.log(r + 1e-8), axis=-1)

    return entropy(p.mean(axis=0)) - entropy(p).mean()


def mlp_decoder_numpy(weights, z, sigmoid):
    """The default MLP decoder (two relu layers and an output layer) in NumPy, float64."""
    h = z.astype(np.float64)
    for i in range(0, len(weights) - 2, 2):
        h = np.maximum(h @ weights[i] + weights[i + 1], 0)
    out = h @ weights[-2] + weights[-1]
    return 1 / (1 + np.exp(-out)) if sigmoid else out
