"""Explanation-model architectures: MLP (tabular), U-Net (images), RNN (sequences)."""
from .base import BaseModelBuilder
from .mlp import MLPModelBuilder
from .rnn import RNNModelBuilder
from .unet import UNetModelBuilder

__all__ = ["BaseModelBuilder", "MLPModelBuilder", "RNNModelBuilder", "UNetModelBuilder"]
