"""The explainability toolbox: the classes of the explainable-ai-docs seed, built on the
deepexplain runtime (one compiled, batched model evaluation for every method)."""
from cem import Counterfactual  # cem imports deepexplain's core modules only, never this package

from .background import Background, summarize
from .kernel_shap import KernelShap
from .prediction import Predictor
from .lime_image import LimeImage
from .lime_tabular import LimeTabular
from .lime_text import LimeText
from .partial_dependence import PartialDependence
from .permutation_importance import PermutationImportance
from .tree_shap import TreeShap
from .activation_visualization import ActivationVisualization
from .deep_shap import DeepShap
from .feature_importance import FeatureImportance
