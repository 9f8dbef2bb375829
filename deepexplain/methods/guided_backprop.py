"""Guided backpropagation (Springenberg et al., "Striving for simplicity", ICLR 2015 workshop).

The gradient ``∂ΣT·ys/∂x`` in which every rectifier (ReLU, ReLU6, LeakyReLU, ELU,
SELU, and the gated rectifiers swish, GELU, hard-swish and mish, each as one
elementwise group) passes back its ordinary gradient only where the gradient arriving from
above is positive: ``grad · f'(z) · [grad > 0]``. Other ops keep their gradients
(max-pooling routes to the window's maximum).
"""
from ..overrides import guided_rule
from .base import GradientMethod


class GuidedBackprop(GradientMethod):
    """Guided backpropagation: the gradient with rectifiers passing back positive signals only.

    Each rectifier ``y = f(z)`` (ReLU, ReLU6, LeakyReLU, ELU, SELU) passes back
    ``grad · f'(z) · [grad > 0]``; ``φ(x)`` is that modified gradient of ``Σ(T·ys)``. Guided
    backpropagation has no parameters of its own.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("guided_backprop", ...)`` or ``get_explainer("guided_backprop", ...).run(...)``.

    References
    ----------
    .. [1] J. T. Springenberg, A. Dosovitskiy, T. Brox, M. Riedmiller, "Striving for simplicity: the
       all convolutional net", ICLR workshop, 2015. arXiv:1412.6806
    """

    name = "guided_backprop"
    rule = staticmethod(guided_rule)

    def attribute_batch(self, model, xs, ys, batch_size):
        return model.gradients(xs, ys)
