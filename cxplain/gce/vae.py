"""The default generative models of GCE: a convolutional VAE for images, an MLP VAE for vectors.

The encoder maps a batch of samples to ``(mu, logvar)`` of the posterior over the ``K + L``
latent coordinates; the decoder maps latents back to samples. The convolutional pair follows
the paper's MNIST architecture (O'Shaughnessy et al., NeurIPS 2020, appendix): three 4×4
convolutions (strides 2, 2, 1) and dense heads for ``mu`` and ``logvar``; a dense layer to a
``width × ⌈H/4⌉ × ⌈W/4⌉`` map and three transposed convolutions (strides 1, 2, 2) back to the
image, cropped to its size. The output is squashed by a sigmoid when the data lie in [0, 1].
"""
import math

from ..style import keras_for_current_style


def _image_pair(keras, input_shape, latent_dim, width, activation):
    layers = keras.layers
    height, width_px, channels = input_shape
    x = inputs = keras.Input(input_shape)
    for stride in (2, 2, 1):
        x = layers.Conv2D(width, 4, strides=stride, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    encoder = keras.Model(inputs, [layers.Dense(latent_dim)(x), layers.Dense(latent_dim)(x)], name="gce_encoder")
    grid = (math.ceil(height / 4), math.ceil(width_px / 4))
    z = latents = keras.Input((latent_dim,))
    y = layers.Dense(grid[0] * grid[1] * width, activation="relu")(z)
    y = layers.Reshape(grid + (width,))(y)
    y = layers.Conv2DTranspose(width, 4, strides=1, padding="same", activation="relu")(y)
    y = layers.Conv2DTranspose(width, 4, strides=2, padding="same", activation="relu")(y)
    y = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation=activation)(y)
    crop = (4 * grid[0] - height, 4 * grid[1] - width_px)
    if any(crop):
        y = layers.Cropping2D(((0, crop[0]), (0, crop[1])))(y)
    return encoder, keras.Model(latents, y, name="gce_decoder")


def _vector_pair(keras, input_shape, latent_dim, width, activation):
    layers = keras.layers
    x = inputs = keras.Input(input_shape)
    for _ in range(2):
        x = layers.Dense(width, activation="relu")(x)
    encoder = keras.Model(inputs, [layers.Dense(latent_dim)(x), layers.Dense(latent_dim)(x)], name="gce_encoder")
    y = latents = keras.Input((latent_dim,))
    for _ in range(2):
        y = layers.Dense(width, activation="relu")(y)
    return encoder, keras.Model(latents, layers.Dense(input_shape[0], activation=activation)(y), name="gce_decoder")


def default_vae(input_shape, latent_dim, width=64, unit_interval=True):
    """``(encoder, decoder)`` for samples of ``input_shape``: convolutional for ``(H, W, C)``,
    MLP for ``(p,)``; in the caller's Keras (Keras 3 eagerly, tf_keras in a session graph)."""
    keras = keras_for_current_style()
    activation = "sigmoid" if unit_interval else None
    pair = _image_pair if len(input_shape) == 3 else _vector_pair
    return pair(keras, tuple(input_shape), latent_dim, width, activation)
