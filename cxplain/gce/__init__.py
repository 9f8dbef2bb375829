"""Generative causal explanations (GCE) of black-box classifiers (O'Shaughnessy et al., NeurIPS 2020)."""
from .explainer import GenerativeCausalExplainer
from .plotting import plot_aspect_removal, plot_information_flow, plot_sweeps
from .vae import default_vae

__all__ = ["GenerativeCausalExplainer", "default_vae", "plot_aspect_removal", "plot_information_flow", "plot_sweeps"]
