"""Grad-CAM (Selvaraju et al., ICCV 2017).

With ``A`` the activations of a convolutional layer (channels last) and
``g = ∂ΣT·ys/∂A``: channel weights ``α_k = mean_ij g_ijk``, the map
``ReLU(Σ_k α_k A_k)``, upsampled bilinearly to the input's height and width. The
result has one value per pixel: shape ``(batch, height, width)`` for images,
``(batch, steps)`` for sequences and token ids (a text model explained at a
sequence layer, its Embedding for instance).

``layer`` is a Keras layer name or object (default: the last layer with a
feature-map output), or in session style the activation tensor itself. The
activations, their gradients and the map come from one compiled function: one
forward pass and one backward pass down to the layer.
"""
import numpy as np
import tensorflow as tf

from ..batching import pad_rows, row_slices
from ..keras_models import is_keras_model
from ..layers import LayerProbe, last_feature_map_layer
from ..validation import describe
from .base import GradientMethod


class GradCAM(GradientMethod):
    """Grad-CAM: a convolutional layer's channels weighted by their mean gradient.

    With ``A`` the activations of ``layer`` (channels last) and ``g = ∂ Σ(T·ys) / ∂A``:
    ``α_k = mean_ij g_ijk`` and ``φ = ReLU(Σ_k α_k A_k)``, upsampled bilinearly to the input.

    Parameters
    ----------
    layer : str, Keras layer or tf.Tensor, optional
        A layer name or object of the model, or in session style the activation tensor itself.
        Default: the last layer with a feature-map output.

    Returns
    -------
    list of numpy.ndarray
        One float32 map per sample: ``(batch, height, width)`` for images, ``(batch, steps)``
        for sequences.

    References
    ----------
    .. [1] R. R. Selvaraju, M. Cogswell, A. Das, R. Vedantam, D. Parikh, D. Batra, "Grad-CAM: visual
       explanations from deep networks via gradient-based localization", ICCV, 2017.
       arXiv:1610.02391
    """

    name = "gradcam"
    needs_gradients = False  # its own function: the layer's activations and their gradients

    def __init__(self, layer=None):
        if not (layer is None or isinstance(layer, (str, tf.Tensor)) or is_keras_model(layer)):
            raise TypeError(f"layer: expected a layer name, a Keras layer or a graph tensor, got {describe(layer)}")
        self.layer = layer
        self._run = None

    def check(self, xs):
        if len(xs) != 1 or xs[0].ndim not in (2, 3, 4):
            shapes = [x.shape for x in xs]
            raise ValueError(
                f"xs: {self.name} expected one input of images (batch, height, width, channels), sequences "
                f"(batch, steps, channels) or token ids (batch, tokens), got shapes {shapes}"
            )

    def channel_weights(self, activations, grads, axes):
        """``α_k``: the gradients averaged over the spatial axes."""
        return tf.reduce_mean(grads, axes, keepdims=True)

    def _build(self, probe, x, weights):
        (activations,), output = probe([x])
        if activations.shape.rank not in (3, 4):
            raise ValueError(
                f"layer: expected a feature map (batch, height, width, channels) or (batch, steps, channels), "
                f"got activations of shape {activations.shape}"
            )
        (grads,) = tf.gradients(tf.reduce_sum(output * weights), [activations])
        if grads is None:
            raise ValueError("layer: the explained output does not depend on the layer's activations")
        axes = list(range(1, activations.shape.rank - 1))
        cam = tf.nn.relu(tf.reduce_sum(self.channel_weights(activations, grads, axes) * activations, axis=-1))
        if len(axes) == 1:
            return tf.image.resize(cam[:, :, None, None], tf.stack([tf.shape(x)[1], 1]))[:, :, 0, 0]
        return tf.image.resize(cam[..., None], tf.shape(x)[1:3])[..., 0]

    def attribute(self, model, xs, ys, batch_size):
        if self._run is None:
            layer = self.layer
            if layer is None:
                layer = last_feature_map_layer(getattr(model.target, "model", None))
            probe = LayerProbe(model.target, [layer])
            spec = tf.TensorSpec(None, tf.float32, name="target_weights")
            self._run = model.runtime.compile(lambda x, w: self._build(probe, x, w), list(model.signature) + [spec])
        x, n = xs[0], len(ys)
        if n == 0:
            return [np.zeros(x.shape[:-1] if x.ndim > 2 else x.shape, np.float32)]
        fixed = model.max_rows  # batch_size is already within it (fit_fixed_batch)
        maps = []
        for rows in row_slices(n, batch_size or n):
            chunk, weights = x[rows], ys[rows]
            if fixed:
                chunk, weights = pad_rows(chunk, fixed), pad_rows(weights, fixed)
            maps.append(self._run(chunk, weights)[: rows.stop - rows.start])
        return [np.concatenate(maps)]


class GradCAMPlusPlus(GradCAM):
    """Grad-CAM++ (Chattopadhay et al., WACV 2018): ``α_k = Σ_ij a_ijk · ReLU(g_ijk)`` with
    ``a = g² / (2g² + g³ · Σ_ij A_ijk)`` (0 where the denominator is 0), the closed form
    for an exponential score from first-order gradients only (the score's positive
    factor ``exp(S)`` is dropped: it scales each map, not its shape)."""

    name = "gradcam++"

    def channel_weights(self, activations, grads, axes):
        squared = tf.square(grads)
        denominator = 2.0 * squared + squared * grads * tf.reduce_sum(activations, axes, keepdims=True)
        a = tf.math.divide_no_nan(squared, denominator)
        return tf.reduce_sum(a * tf.nn.relu(grads), axes, keepdims=True)
