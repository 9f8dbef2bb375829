"""Gradient * Input (Shrikumar et al., 2016): ``x ⊙ ∂ Σ(T·ys) / ∂x``."""
from .base import GradientMethod


class GradientInput(GradientMethod):
    name = "grad*input"

    def attribute_batch(self, model, xs, ys, batch_size):
        return [g * x for g, x in zip(model.gradients(xs, ys), xs)]
