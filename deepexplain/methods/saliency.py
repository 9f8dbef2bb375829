"""Saliency maps (Simonyan et al., 2014): ``|∂ Σ(T·ys) / ∂x|``."""
import numpy as np

from .base import GradientMethod


class Saliency(GradientMethod):
    name = "saliency"

    def attribute_batch(self, model, xs, ys, batch_size):
        return [np.abs(g) for g in model.gradients(xs, ys)]
