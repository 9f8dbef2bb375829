"""The attribution methods, registered by the names of the original DeepExplain."""
import inspect

from .deconvnet import DeconvNet
from .deep_shap import DeepShap
from .deeplift import DeepLIFT
from .epsilon_lrp import EpsilonLRP
from .expected_gradients import ExpectedGradients
from .gradcam import GradCAM, GradCAMPlusPlus
from .gradient_input import GradientInput
from .guided_backprop import GuidedBackprop
from .integrated_gradients import IntegratedGradients
from .occlusion import Occlusion
from .saliency import Saliency
from .shapley_sampling import ShapleySampling
from .smoothgrad import SmoothGrad

METHODS = {
    cls.name: cls
    for cls in [
        Saliency, GradientInput, IntegratedGradients, EpsilonLRP, DeepLIFT, Occlusion, ShapleySampling,
        DeepShap, ExpectedGradients, SmoothGrad, GuidedBackprop, DeconvNet, GradCAM, GradCAMPlusPlus,
    ]
}


def method_parameters(name):
    """The names of the parameters of the method registered as ``name`` (none for an unknown name)."""
    if name not in METHODS:
        return []
    parameters = inspect.signature(METHODS[name]).parameters.values()
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def make_method(name, params):
    """The method registered as ``name``, constructed with ``params``."""
    if name not in METHODS:
        raise ValueError(f"method: expected one of {sorted(METHODS)}, got {name!r}")
    cls = METHODS[name]
    accepted = method_parameters(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise TypeError(f"{name}: unexpected parameters {unknown}; it takes {accepted or 'no parameters'}")
    return cls(**params)
