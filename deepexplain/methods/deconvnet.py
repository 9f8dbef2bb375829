"""DeconvNet (Zeiler & Fergus, "Visualizing and understanding convolutional networks", ECCV 2014).

The gradient ``∂ΣT·ys/∂x`` in which every rectifier (ReLU, ReLU6, LeakyReLU, ELU,
SELU) passes back ``relu(grad)``, the backward signal rectified whatever the
forward input was. Other ops keep their gradients (max-pooling routes to the
window's maximum, the "switches" of the paper).
"""
from ..overrides import deconvnet_rule
from .base import GradientMethod


class DeconvNet(GradientMethod):
    name = "deconvnet"
    rule = staticmethod(deconvnet_rule)

    def attribute_batch(self, model, xs, ys, batch_size):
        return model.gradients(xs, ys)
