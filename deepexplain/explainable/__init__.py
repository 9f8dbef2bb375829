"""The explainability toolbox: the classes of the explainable-ai-docs seed, built on the
deepexplain runtime (one compiled, batched model evaluation for every method)."""
from .prediction import Predictor


def __getattr__(name):
    # Counterfactual lives in cem, which imports deepexplain: import it on first use only,
    # so that neither package needs the other at import time.
    if name == "Counterfactual":
        from cem import Counterfactual

        return Counterfactual
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
from .lime_image import LimeImage
from .lime_tabular import LimeTabular
from .lime_text import LimeText
from .partial_dependence import PartialDependence
from .permutation_importance import PermutationImportance
