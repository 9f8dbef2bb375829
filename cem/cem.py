"""The Contrastive Explanation Method (Dhurandhar et al., "Explanations based on the Missing:
Towards Contrastive Explanations with Pertinent Negatives", NeurIPS 2018).

A pertinent negative (PN) is a sparse change ``δ`` that moves features of ``x0``
away from their no-information value until the class changes; a pertinent
positive (PP) is a sparse part ``δ`` of ``x0``, the rest moved toward the
no-information value, that keeps the class:

    PN: min_δ c·max(0, [p(x0+δ)]_t − max_{i≠t}[p(x0+δ)]_i + κ) + β‖δ‖₁ + ‖δ‖² + γ‖AE(x0+δ) − (x0+δ)‖²
    PP: min_δ c·max(0, max_{i≠t}[p(δ)]_i − [p(δ)]_t + κ) + β‖δ‖₁ + ‖δ‖² + γ‖AE(δ) − δ‖²

solved by projected FISTA (:mod:`cem.fista`), with a bisection over ``c`` per
instance. Every instance of ``X`` is explained at once.
"""
import warnings

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from deepexplain.numerical_gradients import jacobian_from_outputs, numerical_jacobian, perturbed_rows
from deepexplain.runtime import default_runtime
from deepexplain.validation import as_float_array, positive_float, positive_int

from .fista import BIG, Constants, Fista, State, hinge, model_input
from deepexplain.targets import call_model, is_tensorflow_model

from .predictor import Predictor
from .validation import choice, feature_bounds, increasing_pair, instance_shape, non_negative_float, pair, per_feature

MODES = ("PN", "PP")


def next_c(c, lower, upper, found):
    """Bisection over ``c`` per instance: lower it after a solution, raise it (×10 while unbounded) otherwise."""
    upper = np.where(found, np.minimum(upper, c), upper)
    lower = np.where(found, lower, np.maximum(lower, c))
    bounded = upper < 1e9
    c = np.where(bounded, (lower + upper) / 2, np.where(found, c, c * 10))
    return c, lower, upper


class CEM:
    """Pertinent negatives (``mode='PN'``) or positives (``mode='PP'``) for a classifier.

    ``sess`` is a ``tf.compat.v1.Session`` holding the model (session style) or None (eager
    style). ``predict`` is a Keras model / ``tf.Module`` returning class probabilities
    (gradients by autodiff, the whole optimisation in the graph) or any function from arrays
    to class probabilities (central-difference gradients with ``eps``, recomputed every
    ``update_num_grad`` iterations with one batched call). ``shape`` is ``(batch, *features)``;
    only the feature dimensions have to match ``X``. The other parameters are those of the paper
    (κ = ``kappa``, β = ``beta``, γ = ``gamma`` with ``ae_model``) and of the optimiser:
    ``c_steps`` rounds of ``max_iterations`` FISTA steps, starting at ``c = c_init`` with the
    learning rate ``learning_rate_init`` decaying as ``(1 − k/K)^½``, gradients clipped to ``clip``.
    ``no_info_val`` (a number or one value per feature) is the value meaning "feature absent";
    :meth:`fit` sets it from data instead.
    """

    def __init__(self, sess, predict, mode, shape, kappa=0., beta=.1, feature_range=(-1e10, 1e10), gamma=0.,
                 ae_model=None, learning_rate_init=1e-2, max_iterations=1000, c_init=10., c_steps=10,
                 eps=(1e-3, 1e-3), clip=(-100., 100.), update_num_grad=1, no_info_val=None):
        self.mode = choice("mode", mode, MODES)
        self.shape = instance_shape("shape", shape)
        features = self.shape[1:]
        self.kappa = non_negative_float("kappa", kappa)
        self.beta = non_negative_float("beta", beta)
        self.gamma = non_negative_float("gamma", gamma)
        self.feature_range = feature_bounds("feature_range", feature_range, features)
        self.learning_rate_init = positive_float("learning_rate_init", learning_rate_init)
        self.max_iterations = positive_int("max_iterations", max_iterations)
        self.c_init = positive_float("c_init", c_init)
        self.c_steps = positive_int("c_steps", c_steps)
        self.eps = tuple(as_float_array(f"eps[{i}]", e) for i, e in enumerate(pair("eps", eps)))
        if any(np.any(e <= 0) for e in self.eps):
            raise ValueError(f"eps: expected positive perturbation sizes, got {eps!r}")
        self.eps = (self.eps[0], per_feature("eps[1]", self.eps[1], features))
        self.clip = increasing_pair("clip", clip)
        self.update_num_grad = positive_int("update_num_grad", update_num_grad)
        self.no_info_val = None if no_info_val is None else per_feature("no_info_val", no_info_val, features)
        if ae_model is not None and not is_tensorflow_model(ae_model):
            raise TypeError(f"ae_model: expected a Keras model or tf.Module (it is differentiated), got {type(ae_model).__name__}")
        self.ae_model = ae_model
        self.runtime = default_runtime(session=sess)
        self._loop_runtime = default_runtime(session=sess, jit_compile=True)  # XLA fuses the in-graph FISTA loop
        self.predictor = Predictor(predict, self.runtime)
        self.fista = Fista(self.mode, self.kappa, self.beta, self.gamma, self.learning_rate_init,
                           self.max_iterations, self.clip, ae=None if ae_model is None else self._autoencode)
        self._programs = {}

    def _autoencode(self, x):
        return call_model(self.ae_model, x)

    def fit(self, train_data, no_info_type="median"):
        """Set ``no_info_val_`` to the feature-wise median or mean of ``train_data``; returns self."""
        choice("no_info_type", no_info_type, ("median", "mean"))
        data = as_float_array("train_data", train_data)
        features = self.shape[1:]
        if data.ndim < 2 or data.shape[1:] != features:
            raise ValueError(f"train_data: expected an array of shape (n, {', '.join(map(str, features))}), got shape {data.shape}")
        reduce = np.median if no_info_type == "median" else np.mean
        self.no_info_val_ = reduce(data, axis=0, keepdims=True).astype(np.float32)
        return self

    # --- explain ---------------------------------------------------------------------------

    def explain(self, X, Y=None, verbose=False):
        """Explain every row of ``X`` (shape ``(N, *features)``); ``verbose`` shows progress.

        Returns a dict with ``X``, ``X_pred`` (N classes), ``PN``/``PP`` (N rows: the perturbed
        instance for PN, the kept part ``δ`` for PP), ``PN_pred``/``PP_pred``, ``grads_graph`` and
        ``grads_num`` (the gradients of the step that produced each solution), ``found`` (N bools),
        ``c`` (the c of each solution, or the last c tried) and ``distance`` (elastic-net distance
        of each solution). Rows without a solution are NaN (predictions -1); if no row has one,
        those entries are None. Either case warns.
        """
        X = self._check_X(X)
        n = X.shape[0]
        no_info = np.broadcast_to(self._no_info(), X.shape).astype(np.float32)
        probs = self.predictor(X)
        onehot = self._check_Y(Y, probs)
        eps0 = per_feature("eps[0]", self.eps[0], (probs.shape[1],))
        low, high = (np.broadcast_to(b, X.shape).astype(np.float32) for b in self.feature_range)
        if np.any(X < low) or np.any(X > high):
            raise ValueError("X: expected values inside feature_range, got values outside it")
        lower, upper = (low, high) if self.mode == "PN" else (X - high, X - low)

        c = np.full(n, self.c_init, np.float32)
        c_low, c_high = np.zeros(n, np.float32), np.full(n, BIG, np.float32)
        best = [np.full(n, BIG, np.float32), X.copy(), np.zeros_like(X), np.zeros_like(X)]
        best_c = c.copy()
        run_round = self._round_function(X, onehot, eps0)
        for _ in tqdm(range(self.c_steps), desc=f"CEM {self.mode} c steps", disable=not verbose, leave=False):
            consts = (X, onehot, no_info, lower, upper, c)
            *new_best, found = run_round(consts, best, verbose)
            improved = new_best[0] < best[0]
            best_c = np.where(improved, c, best_c)
            best = new_best
            c, c_low, c_high = next_c(c, c_low, c_high, found)
        return self._result(X, onehot, best, np.where(best[0] < BIG, best_c, c))

    def _check_X(self, X):
        X = as_float_array("X", X)
        features = self.shape[1:]
        if X.shape == features:
            X = X[None]
        if X.ndim < 2 or X.shape[1:] != features:
            raise ValueError(f"shape: expected the feature shape {features} of shape {self.shape} to match X, got X of shape {X.shape}")
        return X

    def _no_info(self):
        value = getattr(self, "no_info_val_", self.no_info_val)
        if value is None:
            raise ValueError("no_info_val: not set; call fit(train_data) or pass no_info_val=... to CEM")
        return value

    def _check_Y(self, Y, probs):
        n, n_classes = probs.shape
        if Y is None:
            return np.eye(n_classes, dtype=np.float32)[probs.argmax(1)]
        Y = as_float_array("Y", Y)
        if Y.shape == (n,) and np.all((Y == np.round(Y)) & (Y >= 0) & (Y < n_classes)):
            return np.eye(n_classes, dtype=np.float32)[Y.astype(int)]
        if Y.shape != (n, n_classes) or not np.all(Y.sum(1) == 1) or not np.all((Y == 0) | (Y == 1)):
            raise ValueError(
                f"Y: expected {n} class indices in [0, {n_classes}) or one-hot rows of shape ({n}, {n_classes}), "
                f"got shape {Y.shape}"
            )
        return Y

    def _result(self, X, onehot, best, c):
        dist, adv, grads_graph, grads_num = best
        found = dist < BIG
        key = self.mode
        explanation = adv if self.mode == "PN" else X - adv
        pred = np.where(found, self.predictor(explanation).argmax(1), -1)
        result = {"X": X, "X_pred": onehot.argmax(1), "found": found, "c": c}
        if not found.any():
            warnings.warn(f"No {key} found for any of the {len(X)} instances; increase c_init, c_steps or "
                          "max_iterations", stacklevel=3)
            return {**result, key: None, f"{key}_pred": None, "grads_graph": None, "grads_num": None, "distance": None}
        if not found.all():
            warnings.warn(f"No {key} found for instances {np.flatnonzero(~found).tolist()}; their rows are NaN", stacklevel=3)
        rows = found.reshape((-1,) + (1,) * (X.ndim - 1))
        return {**result, key: np.where(rows, explanation, np.nan), f"{key}_pred": pred,
                "grads_graph": np.where(rows, grads_graph, np.nan), "grads_num": np.where(rows, grads_num, np.nan),
                "distance": np.where(found, dist, np.nan)}

    # --- one round of max_iterations steps at fixed c ------------------------------------------

    def _round_function(self, X, onehot, eps0):
        """``run(consts, best, verbose) -> (*best, found)`` for this feature shape and class count."""
        key = (X.shape[1:], onehot.shape[1])
        if key not in self._programs:
            if self.predictor.differentiable:
                build, runtime = self._build_round, self._loop_runtime
            else:
                build, runtime = self._build_iteration, self.runtime
            self._programs[key] = runtime.compile(build, self._signature(X, onehot, build))
        program = self._programs[key]
        if self.predictor.differentiable:
            return lambda consts, best, verbose: program(*consts, *best)
        return lambda consts, best, verbose: self._black_box_round(program, consts, best, eps0, verbose)

    def _signature(self, X, onehot, build):
        rows = tf.TensorSpec((None,) + X.shape[1:], tf.float32)
        scalars = tf.TensorSpec((None,), tf.float32)
        consts = [rows, tf.TensorSpec((None, onehot.shape[1]), tf.float32), rows, rows, rows, scalars]
        best = [scalars, rows, rows, rows]
        if build == self._build_round:
            return consts + best
        state = [rows, rows, rows, rows] + best + [tf.TensorSpec((None,), tf.bool)]
        return consts + [tf.TensorSpec((), tf.int32)] + state + [consts[1], rows]

    def _build_round(self, *tensors):
        consts, best = Constants(*tensors[:6]), tensors[6:]
        final = self.fista.round(consts, self.fista.initial_state(consts, *best), self.predictor.tensor)
        return [final.best_dist, final.best_adv, final.best_grad_graph, final.best_grad_num, final.found]

    def _build_iteration(self, *tensors):
        consts, k, state = Constants(*tensors[:6]), tensors[6], State(*tensors[7:16])
        probs_adv, grad_num = tensors[16:]
        return list(self.fista.black_box_iteration(consts, state, k, probs_adv, grad_num))

    def _black_box_round(self, iterate, consts, best, eps0, verbose):
        """One c round with a black-box ``predict``: one batched call per iteration.

        The call evaluates the iterate (for tracking) and, every ``update_num_grad``
        iterations, the slack ``y`` and its ``±eps[1]`` perturbations: the hinge gradient
        ``c·∂hinge/∂p · ∂p/∂x`` (central differences, ``eps[0]`` for ∂/∂p) is then
        recomputed there and reused until the next update.
        """
        X, onehot, no_info, lower, upper, c = consts
        n = X.shape[0]
        state = [X, X, np.zeros_like(X), np.zeros_like(X), *best, np.zeros(n, bool)]
        grad_num = np.zeros_like(X)
        sign = (1.0 if self.mode == "PN" else -1.0) * c.reshape((-1,) + (1,) * (X.ndim - 1))
        per_row = np.repeat(onehot, 2 * onehot.shape[1], axis=0)
        for k in tqdm(range(self.max_iterations + 1), desc="iterations", disable=not verbose, leave=False):
            rows = [model_input(self.mode, X, state[0])]
            update = k < self.max_iterations and k % self.update_num_grad == 0
            if update:
                inputs_y = model_input(self.mode, X, state[1])
                rows += [inputs_y, perturbed_rows(inputs_y, self.eps[1])]
            probs = self.predictor(np.concatenate(rows))
            if update:
                dp_dx = jacobian_from_outputs(probs[2 * n:], inputs_y.shape, self.eps[1])
                dl_dp = numerical_jacobian(lambda p: hinge(p, per_row, self.kappa, self.mode, xp=np),
                                           probs[n:2 * n], eps0)
                grad = sign * np.einsum("nc,nc...->n...", dl_dp, dp_dx)
                grad_num = np.clip(grad, *self.clip).astype(np.float32)
            state = iterate(*consts, np.int32(k), *state, probs[:n], grad_num)
        return state[4:]
