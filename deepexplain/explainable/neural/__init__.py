"""Explanations of neural networks through their gradients: DeepShap, gradient feature importance,
activations and Grad-CAM (deepexplain methods underneath, so both TensorFlow styles and the modified chain
rule apply)."""
from .activation_visualization import ActivationVisualization
from .deep_shap import DeepShap
from .feature_importance import FeatureImportance

__all__ = ["ActivationVisualization", "DeepShap", "FeatureImportance"]
