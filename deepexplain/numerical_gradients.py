"""Central-difference Jacobians of black-box functions, batched.

For a function ``f`` mapping rows ``x`` of shape ``(N, *in)`` to outputs of shape
``(N, *out)``::

    J[n, o, i] = (f(x_n + eps_i e_i)[o] − f(x_n − eps_i e_i)[o]) / (2 eps_i)

All ``2·N·prod(in)`` perturbed rows go to ``f`` in one call, so a model is
evaluated once per Jacobian, never once per feature. :class:`CentralDifferences`
(or :func:`perturbed_rows` and :func:`jacobian_from_outputs`) split that call in
two, for callers that evaluate the perturbed rows together with other rows; it
prepares the perturbations once for loops that take many Jacobians.
"""
import numpy as np


class CentralDifferences:
    """Perturbations ``±eps_i e_i`` of rows of shape ``feature_shape``; ``eps`` is a number or one value per feature."""

    def __init__(self, eps, feature_shape):
        self.feature_shape = tuple(feature_shape)
        n_features = int(np.prod(self.feature_shape))
        eps = np.asarray(eps, dtype=np.float64)
        if eps.size not in (1, n_features):
            raise ValueError(f"eps: expected a number or one value per feature ({n_features}), got shape {eps.shape}")
        self.eps = np.broadcast_to(eps.reshape(-1), (n_features,))
        steps = np.diag(self.eps)
        self.offsets = np.concatenate([steps, -steps])  # (2F, F)
        self.n_features = n_features

    def rows(self, x):
        """The ``2·N·F`` rows ``x_n + eps_i e_i`` then ``x_n − eps_i e_i``, grouped by row ``n``.

        Shape ``(N·2·F, *in)``.
        """
        x = np.asarray(x)
        flat = x.reshape(x.shape[0], 1, self.n_features)
        return (flat + self.offsets.astype(x.dtype)).reshape((-1,) + self.feature_shape)

    def jacobian(self, outputs, n):
        """``J`` of shape ``(N, *out, *in)`` from ``f(self.rows(x))`` for ``N = n`` rows."""
        outputs = np.asarray(outputs, dtype=np.float64)
        out_shape = outputs.shape[1:]
        grouped = outputs.reshape((n, 2, self.n_features) + out_shape)
        diff = (grouped[:, 0] - grouped[:, 1]) / (2.0 * self.eps).reshape((1, self.n_features) + (1,) * len(out_shape))
        return np.moveaxis(diff, 1, -1).reshape((n,) + out_shape + self.feature_shape)


def perturbed_rows(x, eps):
    """:meth:`CentralDifferences.rows` for rows ``x`` of shape ``(N, *in)``."""
    x = np.asarray(x)
    return CentralDifferences(eps, x.shape[1:]).rows(x)


def jacobian_from_outputs(outputs, x_shape, eps):
    """``J`` of shape ``(N, *out, *in)`` from ``f(perturbed_rows(x, eps))``."""
    return CentralDifferences(eps, x_shape[1:]).jacobian(outputs, x_shape[0])


def numerical_jacobian(f, x, eps):
    """``∂f/∂x`` by central differences with one call of ``f`` on all perturbed rows."""
    x = np.asarray(x)
    differences = CentralDifferences(eps, x.shape[1:])
    return differences.jacobian(f(differences.rows(x)), x.shape[0])
