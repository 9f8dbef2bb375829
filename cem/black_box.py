"""CEM iterations for a black-box ``predict``: the FISTA step in NumPy, numerical gradients.

Each iteration makes exactly one ``predict`` call. It evaluates the iterate (for
tracking) and, every ``update_num_grad`` iterations, the model input at the slack
``y`` and its ``±eps[1]`` perturbations: the hinge gradient
``c·∂hinge/∂p · ∂p/∂y`` (central differences, ``eps[0]`` for ∂/∂p) is recomputed
there and reused until the next update. Nothing else calls TensorFlow, so an
iteration costs little more than its ``predict`` call.
"""
import numpy as np

from deepexplain.numerical_gradients import CentralDifferences

from .fista import hinge, per_row


class BlackBoxLoop:
    """Steps ``start`` to ``stop`` of a c round with a NumPy :class:`~cem.fista.Fista`.

    ``eps`` is ``(eps0, eps1)`` of shapes ``(1, classes)`` and ``(1, *features)``;
    ``smooth_gradient(consts, y)`` is the clipped gradient of ``‖x0 − y‖² (+ γ‖AE(in) − in‖²)``.
    """

    def __init__(self, fista, predictor, eps, update_num_grad, smooth_gradient):
        self.fista = fista
        self.predictor = predictor
        self.class_differences = CentralDifferences(eps[0], np.shape(eps[0])[1:])
        self.feature_differences = CentralDifferences(eps[1], np.shape(eps[1])[1:])
        self.update_num_grad = update_num_grad
        self.smooth_gradient = smooth_gradient

    def hinge_gradient(self, consts, probs_y, probs_perturbed):
        """``c·∂hinge/∂y`` from the probabilities at the slack's model input and at its perturbations."""
        fista = self.fista
        n, n_classes = probs_y.shape
        onehot = np.repeat(consts.onehot, 2 * n_classes, axis=0)
        dl_dp = self.class_differences.jacobian(
            hinge(self.class_differences.rows(probs_y), onehot, fista.kappa, fista.mode, xp=np), n)
        dp_dx = self.feature_differences.jacobian(probs_perturbed, n)  # (N, classes, *features)
        dl_dx = np.sum(dl_dp.reshape(dl_dp.shape + (1,) * (dp_dx.ndim - 2)) * dp_dx, axis=1)
        sign = 1.0 if fista.mode == "PN" else -1.0  # the PP input no_info + (x0 − y) falls as y rises
        grad = sign * per_row(consts.c, dl_dx, np) * dl_dx
        if not np.isfinite(grad).all():  # NaN output of the model: no step from it
            grad = np.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)
        return np.clip(grad, *fista.clip).astype(np.float32)

    def run(self, consts, state, start, stop):
        fista, n = self.fista, consts.x0.shape[0]
        for k in range(start, stop):
            rows = [fista.model_input(consts, state.adv)]
            update = k % self.update_num_grad == 0
            if update:
                inputs_y = fista.model_input(consts, state.y)
                rows += [inputs_y, self.feature_differences.rows(inputs_y)]
            probs = self.predictor(np.concatenate(rows))
            state = fista.track(consts, state, probs[:n])
            grad_num = self.hinge_gradient(consts, probs[n:2 * n], probs[2 * n:]) if update else state.grad_num
            state = fista.step(consts, state, k, self.smooth_gradient(consts, state.y), grad_num)
        return fista.track(consts, state, self.predictor(fista.model_input(consts, state.adv)))
