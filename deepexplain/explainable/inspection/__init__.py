"""Global inspection of any model, as scikit-learn's inspection module: permutation importance and partial
dependence."""
from .partial_dependence import PartialDependence
from .permutation_importance import PermutationImportance

__all__ = ["PartialDependence", "PermutationImportance"]
