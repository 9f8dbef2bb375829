"""Saliency maps (Simonyan et al., 2014): ``|∂ Σ(T·ys) / ∂x|``."""
import numpy as np

from .base import GradientMethod


class Saliency(GradientMethod):
    """Saliency map: the absolute gradient of the explained score.

    ``φ(x) = |∂ Σ(T·ys) / ∂x|``, with ``T`` the explained output and ``ys`` the weights selecting
    its units (one-hot rows pick one unit). Saliency has no parameters of its own.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("saliency", ...)`` or ``get_explainer("saliency", ...).run(...)``.

    References
    ----------
    .. [1] K. Simonyan, A. Vedaldi, A. Zisserman, "Deep inside convolutional networks: visualising
       image classification models and saliency maps", ICLR workshop, 2014. arXiv:1312.6034
    """

    name = "saliency"

    def attribute_batch(self, model, xs, ys, batch_size):
        return [np.abs(g) for g in model.gradients(xs, ys)]
