"""Compatibility path of the original package: ``from deepexplain.tensorflow import DeepExplain``."""
from ..context import DeepExplain

__all__ = ["DeepExplain"]
