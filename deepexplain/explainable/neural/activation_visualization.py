"""What a network computes inside (the seed's ``ActivationVisualization(model)``): layer
activations, Grad-CAM and saliency maps, on deepexplain's ``gradcam`` and ``saliency`` methods."""
import matplotlib.pyplot as plt
import numpy as np

from ...explanation import Explanation
from ...validation import as_float_array, describe, positive_int
from .network import ExplainedNetwork, as_batch, sample_rank


def _image(ax, image):
    image = np.squeeze(np.asarray(image, dtype=float))
    ax.imshow(image if image.ndim == 2 or image.shape[-1] in (3, 4) else image.mean(axis=-1), cmap="gray")
    ax.set_xticks([])
    ax.set_yticks([])


class ActivationVisualization:
    """Activations, Grad-CAM and saliency maps of a Keras 3 / tf_keras model.

    Args:
        model: a functional or Sequential Keras model (layers are found by name); with
            ``logits`` (default) a final softmax is left out of Grad-CAM and saliency.
        batch_size: most rows per model call.
        session: a ``tf.compat.v1.Session`` for session-style (TF1) code with tf_keras models.

    Every method takes one sample (no batch axis) or a batch; one sample gives results
    without the batch axis.

    Example::

        vis = ActivationVisualization(model)
        activations = vis.get_activations(X_test[0], ["conv1", "conv2"])
        figure = vis.plot_activation(activations["conv1"], "conv1")
        cam = vis.grad_cam(X_test[0], target_class=3, target_layer="conv2")
        figure = vis.plot_grad_cam(X_test[0], cam)
    """

    def __init__(self, model, batch_size=None, session=None, logits=True):
        self.network = ExplainedNetwork(model, session, logits, positive_int("batch_size", batch_size, allow_none=True))
        self._rank = sample_rank(model)

    def get_activations(self, input, layer_names):
        """``{name: activations}`` of the layers named ``layer_names``, from one forward pass (an
        ``Explanation``: a dict with attribute access and ``meta``)."""
        if isinstance(layer_names, str) or not isinstance(layer_names, (list, tuple)) or not layer_names:
            raise TypeError(f"layer_names: expected a non-empty list of layer names, got {describe(layer_names)}")
        X, single = as_batch("input", input, self._rank)
        *activations, _ = self.network.forward(X, list(layer_names), name="layer_names", rows_name="input")
        return Explanation({name: a[0] if single else a for name, a in zip(layer_names, activations)},
                           "ActivationVisualization", params={"layer_names": list(layer_names)},
                           model=self.network.model)

    def grad_cam(self, input, target_class=None, target_layer=None):
        """Grad-CAM map(s) of ``target_class`` (default: the predicted class) at ``target_layer``
        (a name or layer; default the last feature-map layer), upsampled to the input size."""
        X, single = as_batch("input", input, self._rank)
        ys, _ = self.network.class_weights(X, target_class, rows_name="input")
        cam = self.network.explainer("gradcam", layer=target_layer).run(X, ys=ys, batch_size=self.network.batch_size)
        return cam[0] if single else cam

    def saliency_map(self, input, target_class=None):
        """``|∂f_c/∂x|`` for ``target_class`` ``c`` (default: the predicted class), shaped like ``input``."""
        X, single = as_batch("input", input, self._rank)
        ys, _ = self.network.class_weights(X, target_class, rows_name="input")
        saliency = self.network.explainer("saliency").run(X, ys=ys, batch_size=self.network.batch_size)
        return saliency[0] if single else saliency

    @staticmethod
    def plot_activation(activation, layer_name=None, max_channels=16):
        """The channels of one sample's activation (height, width, channels) as a grid of
        images, or a vector of activations as bars. Returns the figure."""
        activation = as_float_array("activation", activation)
        max_channels = positive_int("max_channels", max_channels)
        if activation.ndim == 3:
            channels = min(activation.shape[-1], max_channels)
            cols = int(np.ceil(np.sqrt(channels)))
            rows = int(np.ceil(channels / cols))
            figure, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.6 * rows), squeeze=False)
            for k, ax in enumerate(axes.ravel()):
                ax.axis("off")
                if k < channels:
                    ax.imshow(activation[..., k], cmap="viridis")
                    ax.set_title(f"channel {k}", fontsize=7)
        elif activation.ndim in (1, 2):
            figure, ax = plt.subplots(figsize=(6, 2.5))
            values = activation.ravel() if activation.ndim == 1 else activation.mean(axis=0)
            ax.bar(np.arange(len(values)), values)
            ax.set_xlabel("unit" if activation.ndim == 1 else "channel (mean over steps)")
        else:
            raise ValueError("activation: expected one sample's activation (rank 1 to 3), "
                             f"got shape {activation.shape}")
        if layer_name:
            figure.suptitle(str(layer_name))
        figure.tight_layout()
        return figure

    @staticmethod
    def plot_grad_cam(image, cam, alpha=0.5):
        """``image`` with the Grad-CAM map ``cam`` overlaid (colour bar). Returns the figure."""
        cam = as_float_array("cam", cam)
        if cam.ndim != 2:
            raise ValueError(f"cam: expected one map (height, width), got shape {cam.shape}")
        figure, ax = plt.subplots(figsize=(4, 3.4))
        _image(ax, image)
        mappable = ax.imshow(cam, cmap="jet", alpha=alpha, vmin=0)
        figure.colorbar(mappable, ax=ax, label="Grad-CAM")
        figure.tight_layout()
        return figure

    @staticmethod
    def plot_saliency(image, saliency):
        """``image`` and its saliency map (maximum over channels) side by side. Returns the figure."""
        saliency = as_float_array("saliency", saliency)
        figure, (left, right) = plt.subplots(1, 2, figsize=(6.5, 3))
        _image(left, image)
        left.set_title("input", fontsize=9)
        mappable = right.imshow(saliency.max(axis=-1) if saliency.ndim == 3 else saliency, cmap="hot")
        right.set_xticks([])
        right.set_yticks([])
        right.set_title("saliency", fontsize=9)
        figure.colorbar(mappable, ax=right)
        figure.tight_layout()
        return figure
