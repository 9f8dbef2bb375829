"""Central-difference Jacobians of black-box functions, batched.

For a function ``f`` mapping rows ``x`` of shape ``(N, *in)`` to outputs of shape
``(N, *out)``::

    J[n, o, i] = (f(x_n + eps_i e_i)[o] − f(x_n − eps_i e_i)[o]) / (2 eps_i)

All ``2·N·prod(in)`` perturbed rows go to ``f`` in one call, so a model is
evaluated once per Jacobian, never once per feature. :func:`perturbed_rows` and
:func:`jacobian_from_outputs` split that call in two, for callers that evaluate
the perturbed rows together with other rows.
"""
import numpy as np


def _eps_per_feature(eps, feature_shape):
    eps = np.asarray(eps, dtype=np.float64)
    n_features = int(np.prod(feature_shape))
    if eps.size == 1:
        return np.full(n_features, float(eps.reshape(())))
    if eps.size != n_features:
        raise ValueError(
            f"eps: expected a number or one value per feature ({n_features}), got shape {eps.shape}"
        )
    return eps.reshape(n_features)


def perturbed_rows(x, eps):
    """The ``2·N·F`` rows ``x_n + eps_i e_i`` then ``x_n − eps_i e_i``, grouped by row ``n``.

    ``x`` has shape ``(N, *in)`` and ``F = prod(in)``; ``eps`` is a number or one value
    per feature. The result has shape ``(N·2·F, *in)``.
    """
    x = np.asarray(x)
    n, feature_shape = x.shape[0], x.shape[1:]
    steps = np.diag(_eps_per_feature(eps, feature_shape)).astype(x.dtype)  # (F, F)
    flat = x.reshape(n, 1, -1)
    rows = np.concatenate([flat + steps, flat - steps], axis=1)  # (N, 2F, F)
    return rows.reshape((-1,) + feature_shape)


def jacobian_from_outputs(outputs, x_shape, eps):
    """``J`` of shape ``(N, *out, *in)`` from ``f(perturbed_rows(x, eps))``."""
    n, feature_shape = x_shape[0], tuple(x_shape[1:])
    outputs = np.asarray(outputs, dtype=np.float64)
    n_features = int(np.prod(feature_shape))
    out_shape = outputs.shape[1:]
    grouped = outputs.reshape((n, 2, n_features) + out_shape)
    diff = (grouped[:, 0] - grouped[:, 1]) / (2.0 * _eps_per_feature(eps, feature_shape)).reshape(
        (1, n_features) + (1,) * len(out_shape)
    )
    jac = np.moveaxis(diff, 1, -1)  # (N, *out, F)
    return jac.reshape((n,) + out_shape + feature_shape)


def numerical_jacobian(f, x, eps):
    """``∂f/∂x`` by central differences with one call of ``f`` on all perturbed rows."""
    x = np.asarray(x)
    return jacobian_from_outputs(f(perturbed_rows(x, eps)), x.shape, eps)
