"""DeepExplain: gradient and perturbation attribution methods for TensorFlow models,
in session graphs and eager code alike."""
from .context import DeepExplain, explain, get_explainer
from .explainer import Explainer
from .explanation import Explanation
from .methods import METHODS
from .overrides import NONLINEARITIES

__all__ = ["DeepExplain", "Explainer", "Explanation", "METHODS", "NONLINEARITIES", "explain", "get_explainer"]
__version__ = "1.0.0"
