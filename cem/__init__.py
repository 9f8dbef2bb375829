"""Contrastive explanations: pertinent negatives and positives (CEM) and counterfactuals."""
from .cem import CEM
from .counterfactual import Counterfactual

__all__ = ["CEM", "Counterfactual"]
