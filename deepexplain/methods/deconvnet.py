"""DeconvNet (Zeiler & Fergus, "Visualizing and understanding convolutional networks", ECCV 2014).

The gradient ``∂ΣT·ys/∂x`` in which every rectifier (ReLU, ReLU6, LeakyReLU, ELU,
SELU, and the gated rectifiers swish, GELU, hard-swish and mish, each as one
elementwise group) passes back ``relu(grad)``, the backward signal rectified whatever the
forward input was. Other ops keep their gradients (max-pooling routes to the
window's maximum, the "switches" of the paper).
"""
from ..overrides import deconvnet_rule
from .base import GradientMethod


class DeconvNet(GradientMethod):
    """DeconvNet: the gradient with rectifiers rectifying the backward signal.

    Each rectifier (ReLU, ReLU6, LeakyReLU, ELU, SELU) passes back ``relu(grad)`` whatever its
    input; ``φ(x)`` is that modified gradient of ``Σ(T·ys)``. DeconvNet has no parameters of its
    own.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("deconvnet", ...)`` or ``get_explainer("deconvnet", ...).run(...)``.

    References
    ----------
    .. [1] M. D. Zeiler, R. Fergus, "Visualizing and understanding convolutional networks", ECCV,
       2014. arXiv:1311.2901
    """

    name = "deconvnet"
    rule = staticmethod(deconvnet_rule)

    def attribute_batch(self, model, xs, ys, batch_size):
        return model.gradients(xs, ys)
