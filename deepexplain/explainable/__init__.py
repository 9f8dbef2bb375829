"""The explainability toolbox: the classes of the explainable-ai-docs seed, built on the
deepexplain runtime (one compiled, batched model evaluation for every method).

``Counterfactual`` is ``cem.Counterfactual``, imported on first use: cem sits above the core,
beside this package, so importing the toolbox does not import cem."""
from ..models import Predictor
from .inspection import PartialDependence, PermutationImportance
from .lime import LimeImage, LimeTabular, LimeText
from .neural import ActivationVisualization, DeepShap, FeatureImportance
from .shap import Background, KernelShap, TreeShap, summarize

__all__ = [
    "ActivationVisualization", "Background", "Counterfactual", "DeepShap", "FeatureImportance", "KernelShap",
    "LimeImage", "LimeTabular", "LimeText", "PartialDependence", "PermutationImportance", "Predictor", "TreeShap",
    "summarize",
]


def __getattr__(name):
    """``Counterfactual``, from cem on first use (PEP 562)."""
    if name == "Counterfactual":
        from cem import Counterfactual

        return Counterfactual
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
