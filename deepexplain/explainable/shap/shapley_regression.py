"""The weighted least-squares solve of Kernel SHAP, with efficiency imposed exactly.

Given coalitions ``z_k`` (rows of 0/1), kernel weights ``π_k`` and coalition values
``y_k = link(E[f | z_k]) − link(E[f])``, Kernel SHAP (Lundberg & Lee, 2017) is

    φ = argmin Σ_k π_k (y_k − z_k·φ)²   subject to   Σ_j φ_j = Δ = link(f(x)) − link(E[f]).

The constraint is eliminated by substituting ``φ_m = Δ − Σ_{j<m} φ_j``, which leaves an
unconstrained problem in ``φ_1 … φ_{m−1}`` with rows ``z_k,j − z_k,m`` and targets
``y_k − z_k,m Δ``, solved through its normal equations (by least squares, so that a
rank-deficient set of coalitions still gets the minimum-norm solution).
"""
import numpy as np

from ...validation import describe, is_integer


def constrained_wls(masks, weights, y, delta):
    """``φ`` of shape ``(m, r)`` for coalitions ``masks (K, m)``, ``weights (K,)``, targets
    ``y (K, r)`` and totals ``delta (r,)``: one solve for the ``r`` right-hand sides at once."""
    m = masks.shape[1]
    if m == 0:
        return np.zeros((0, len(delta)))
    if m == 1:
        return delta[None, :].astype(np.float64)
    z = masks.astype(np.float64)
    design = z[:, :-1] - z[:, -1:]
    weighted = design.T * weights
    target = y - z[:, -1:] * delta[None, :]
    head = np.linalg.lstsq(weighted @ design, weighted @ target, rcond=None)[0]
    return np.vstack([head, delta[None, :] - head.sum(axis=0)])


def l1_selection(masks, weights, y, delta, n_kept):
    """The ``n_kept`` features first to enter the LARS (lasso) path of the weighted regression of
    one right-hand side ``y (K,)``; the efficiency constraint joins the system as a heavily
    weighted extra row."""
    from sklearn.linear_model import lars_path

    rows = np.vstack([masks.astype(np.float64), np.ones(masks.shape[1])])
    target = np.append(y, delta)
    root = np.sqrt(np.append(weights, 1e4 * weights.max()))
    _, active, _ = lars_path(rows * root[:, None], target * root, max_iter=n_kept, method="lasso")
    return np.sort(np.asarray(active, dtype=np.intp))


def check_l1_reg(l1_reg, n_features):
    """``l1_reg`` validated: None (no selection) or a number of features to keep in [1, n_features]."""
    if l1_reg is None or l1_reg is False:
        return None
    if is_integer(l1_reg) and 1 <= l1_reg <= n_features:
        return int(l1_reg)
    raise ValueError(f"l1_reg: expected None or a number of features to keep in [1, {n_features}], "
                     f"got {describe(l1_reg)}")
