"""The explainability toolbox: the classes of the explainable-ai-docs seed, built on the
deepexplain runtime (one compiled, batched model evaluation for every method).

``Counterfactual`` is ``cem.Counterfactual``, imported on first use: cem sits above the core,
beside this package, so importing the toolbox does not import cem."""
from ..models import Predictor
from .activation_visualization import ActivationVisualization
from .background import Background, summarize
from .deep_shap import DeepShap
from .feature_importance import FeatureImportance
from .kernel_shap import KernelShap
from .lime_image import LimeImage
from .lime_tabular import LimeTabular
from .lime_text import LimeText
from .partial_dependence import PartialDependence
from .permutation_importance import PermutationImportance
from .tree_shap import TreeShap

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
