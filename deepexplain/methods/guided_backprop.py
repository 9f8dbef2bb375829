"""Guided backpropagation (Springenberg et al., "Striving for simplicity", ICLR 2015 workshop).

The gradient ``∂ΣT·ys/∂x`` in which every rectifier (ReLU, ReLU6, LeakyReLU, ELU,
SELU) passes back its ordinary gradient only where the gradient arriving from
above is positive: ``grad · f'(z) · [grad > 0]``. Other ops keep their gradients
(max-pooling routes to the window's maximum).
"""
from ..overrides import guided_rule
from .base import GradientMethod


class GuidedBackprop(GradientMethod):
    name = "guided_backprop"
    rule = staticmethod(guided_rule)

    def attribute_batch(self, model, xs, ys, batch_size):
        return model.gradients(xs, ys)
