"""Gradient * Input (Shrikumar et al., 2016): ``x ⊙ ∂ Σ(T·ys) / ∂x``."""
from .base import GradientMethod


class GradientInput(GradientMethod):
    """Gradient * Input: the gradient of the explained score times the input.

    ``φ(x) = x ⊙ ∂ Σ(T·ys) / ∂x``. On ReLU networks it equals epsilon-LRP as ``ε → 0``.
    Gradient * Input has no parameters of its own.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        float32 attributions shaped like ``xs`` (a list for several inputs), from
        ``explain("grad*input", ...)`` or ``get_explainer("grad*input", ...).run(...)``.

    References
    ----------
    .. [1] A. Shrikumar, P. Greenside, A. Shcherbina, A. Kundaje, "Not just a black box: learning
       important features through propagating activation differences", 2016. arXiv:1605.01713
    """

    name = "grad*input"

    def attribute_batch(self, model, xs, ys, batch_size):
        return [g * x for g, x in zip(model.gradients(xs, ys), xs)]
