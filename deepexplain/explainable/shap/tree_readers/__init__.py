"""Readers of each tree library's fitted models into ``LeafPaths`` (``tree_paths``), honouring
its split semantics: ``read_tree_model(model)`` → ``TreeModel``."""
from .dispatch import TreeModel, read_tree_model

__all__ = ["TreeModel", "read_tree_model"]
