"""CXPlain: causal explanation models with uncertainty (Schwab & Karlen, NeurIPS 2019),
for any model, on TensorFlow 2 and Keras 3, in session and eager code."""
from .explainer import CXPlain
from .gce import GenerativeCausalExplainer
from .masking import WordDropMasking, ZeroMasking
from .model_builders import MLPModelBuilder, RNNModelBuilder, UNetModelBuilder

__all__ = [
    "CXPlain",
    "GenerativeCausalExplainer",
    "MLPModelBuilder",
    "RNNModelBuilder",
    "UNetModelBuilder",
    "WordDropMasking",
    "ZeroMasking",
]
