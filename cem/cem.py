"""The Contrastive Explanation Method (Dhurandhar et al., "Explanations based on the Missing:
Towards Contrastive Explanations with Pertinent Negatives", NeurIPS 2018).

A pertinent negative (PN) is a sparse change ``δ`` that moves features of ``x0``
away from their no-information value until the class changes. A pertinent positive
(PP) is a sparse part of ``x0`` that keeps the class: the point ``pp`` between
``no_info`` and ``x0`` in every feature (the features moved toward ``no_info`` are
removed), its sparsity measured from ``no_info``:

    PN: min_δ c·max(0, [p(x0+δ)]_t − max_{i≠t}[p(x0+δ)]_i + κ) + β‖δ‖₁ + ‖δ‖² + γ‖AE(x0+δ) − (x0+δ)‖²
    PP: min_pp c·max(0, max_{i≠t}[p(pp)]_i − [p(pp)]_t + κ) + β‖pp − ni‖₁ + ‖pp − ni‖² + γ‖AE(pp) − pp‖²

With ``no_info = 0`` and non-negative data, ``pp`` is the paper's ``δ ∈ X ∩ x0``. The
problems are solved by projected FISTA (:mod:`cem.fista`), with a bisection over ``c``
per instance. Every instance of ``X`` is explained at once.
"""
import warnings

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from deepexplain.explanation import Explanation
from deepexplain.keras_models import call_model, is_tensorflow_model
from deepexplain.runtime import default_runtime
from deepexplain.validation import (
    as_float_array,
    boolean,
    choice,
    describe,
    feature_bounds,
    increasing_pair,
    instance_shape,
    non_negative_float,
    pair,
    per_feature,
    positive_float,
    positive_int,
)

from .black_box import BlackBoxLoop
from .calls import CallSizer
from .fista import BIG, Constants, Fista, GraphLoop
from .packed import CONSTANT_ROWS, STATE_ROWS, pack, pack_state, unpack, unpack_state
from .predictor import Predictor

MODES = ("PN", "PP")
PROGRESS_DELAY = 2.0
"""Seconds after which ``verbose=None`` shows the progress bar."""


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
    (gradients by autodiff, the optimisation in a compiled loop, in calls of about
    :data:`cem.calls.CALL_SECONDS` so that progress moves and Ctrl-C stops any run promptly) or any function from arrays
    to class probabilities (a black box: the optimisation in NumPy, central-difference
    gradients with ``eps``, recomputed every ``update_num_grad`` iterations with one batched
    call). ``shape`` is ``(batch, *features)``; only the feature dimensions have to match ``X``.
    The other parameters are those of the paper (κ = ``kappa``, β = ``beta``, γ = ``gamma``
    with ``ae_model``) and of the optimiser: ``c_steps`` rounds of ``max_iterations`` FISTA
    steps, starting at ``c = c_init`` with the learning rate ``learning_rate_init`` decaying as
    ``(1 − k/K)^½``, gradients clipped to ``clip``. ``no_info_val`` (a number or one value per
    feature) is the value meaning "feature absent"; :meth:`fit` sets it from data instead.
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
            raise TypeError("ae_model: expected a Keras model or tf.Module (it is differentiated), "
                            f"got {type(ae_model).__name__}")
        if self.gamma > 0 and ae_model is None:
            raise ValueError(f"gamma: expected 0 without an autoencoder (ae_model=None), got {self.gamma}; "
                             "pass ae_model=...")
        self.ae_model = ae_model
        self.model = predict
        self.predictor = Predictor(predict, sess)
        uses_tensorflow = self.predictor.differentiable or ae_model is not None  # a black box alone needs no runtime
        self.runtime = default_runtime(session=sess) if uses_tensorflow else None
        # XLA fuses the loop
        self._loop_runtime = default_runtime(session=sess, jit_compile=True) if uses_tensorflow else None
        hyper = (self.mode, self.kappa, self.beta, self.learning_rate_init, self.max_iterations, self.clip)
        self.fista = Fista(*hyper)
        self._numpy_fista = Fista(*hyper, xp=np)
        self._graph_loop = GraphLoop(self.fista, self.gamma, ae=None if ae_model is None else self._autoencode)
        self._programs = {}
        self._call_sizers = {}  # per shape of X

    def _autoencode(self, x):
        out = tf.convert_to_tensor(call_model(self.ae_model, x))
        expected, given = x.shape.as_list()[1:], out.shape.as_list()[1:]
        if out.shape.rank is not None and (len(given) != len(expected)
                                           or any(g is not None and g != e for g, e in zip(given, expected))):
            raise ValueError(f"ae_model: expected an autoencoder returning its input's shape {tuple(expected)} per "
                             f"instance, got output of shape {tuple(given)}")
        return out

    def fit(self, train_data, no_info_type="median"):
        """Set ``no_info_val_`` to the feature-wise median or mean of ``train_data``; returns self."""
        choice("no_info_type", no_info_type, ("median", "mean"))
        data = as_float_array("train_data", train_data)
        features = self.shape[1:]
        if data.ndim < 2 or data.shape[1:] != features:
            raise ValueError(f"train_data: expected an array of shape (n, {', '.join(map(str, features))}), "
                             f"got shape {data.shape}")
        if data.shape[0] == 0:
            raise ValueError(f"train_data: expected at least one row to take the {no_info_type} of, "
                             f"got shape {data.shape}")
        reduce = np.median if no_info_type == "median" else np.mean
        self.no_info_val_ = reduce(data, axis=0, keepdims=True).astype(np.float32)
        return self

    # --- explain ---------------------------------------------------------------------------

    def explain(self, X, Y=None, verbose=None):
        """Explain every row of ``X`` (shape ``(N, *features)``).

        Returns an ``Explanation`` (a dict with attribute access, ``explanation.PN`` and
        ``explanation.meta`` as in alibi) with the same entries in both modes: ``X``,
        ``X_pred`` (N classes), ``PN``/``PP`` (N rows: the perturbed instance for PN; for PP
        the point between ``no_info_val`` and ``X`` that keeps the class), ``PN_pred``/``PP_pred``,
        ``grads_graph`` and ``grads_num`` (the gradients of the step that produced each
        solution), ``found`` (N bools), ``c`` (the c of each solution, or the last c tried),
        ``distance`` (elastic-net distance from ``X`` for PN, from ``no_info_val`` for PP) and
        ``PP_empty`` (PP: N bools, the no-information instance itself has the class, so the PP
        is ``no_info_val``, nothing kept, distance 0). The entries of the mode not run
        (``PP``, ``PP_pred`` and ``PP_empty`` for PN; ``PN``, ``PN_pred`` for PP) are None.
        Rows without a solution are NaN, with prediction -1, distance NaN and ``found`` False
        (with a warning), also when no row has one. ``verbose`` shows progress: True
        always, False never, None (default) once a run takes more than a few seconds. Memory
        does not grow with ``max_iterations`` or ``c_steps``, and Ctrl-C stops a run within about
        a quarter of a second (the explainer stays usable).
        """
        verbose = boolean("verbose", verbose, allow_none=True)
        X = self._check_X(X)
        n = X.shape[0]
        no_info = np.broadcast_to(self._no_info(), X.shape).astype(np.float32)
        if n == 0:
            return self._empty_result(X, Y)
        probs = self.predictor(X)
        onehot = self._check_Y(Y, probs)
        eps0 = per_feature("eps[0]", self.eps[0], (probs.shape[1],))
        low, high = (np.broadcast_to(b, X.shape).astype(np.float32) for b in self.feature_range)
        self._check_inside("X", X, low, high)
        if self.mode == "PN":
            lower, upper, empty = low, high, None
        else:
            self._check_inside("no_info_val", no_info, low, high)
            lower, upper = X + no_info - high, X + no_info - low
            empty = self._numpy_fista.is_valid(self.predictor(no_info), onehot)

        c = np.full(n, self.c_init, np.float32)
        c_low, c_high = np.zeros(n, np.float32), np.full(n, BIG, np.float32)
        best = [np.full(n, BIG, np.float32), X.copy(), np.zeros_like(X), np.zeros_like(X)]
        best_c = c.copy()
        run = self._loop(X, onehot, eps0)
        sizer = self._call_sizers.setdefault(X.shape, CallSizer())
        bar = tqdm(total=self.c_steps * self.max_iterations, desc=f"CEM {self.mode}, {n} instances, iterations",
                   disable=verbose is False, delay=0 if verbose else PROGRESS_DELAY, leave=False)
        with bar:
            for _ in range(self.c_steps):
                consts = Constants(X, onehot, no_info, lower, upper, c)
                state = self._numpy_fista.initial_state(consts, *best)
                for start, stop in sizer.calls(self.max_iterations):
                    state = run(consts, state, start, stop)
                    bar.update(stop - start)
                improved = state.best_dist < best[0]
                best_c = np.where(improved, c, best_c)
                best = [state.best_dist, state.best_adv, state.best_grad_graph, state.best_grad_num]
                c, c_low, c_high = next_c(c, c_low, c_high, state.found)
        return self._result(X, onehot, no_info, best, np.where(best[0] < BIG, best_c, c), empty)

    def _check_X(self, X):
        X = as_float_array("X", X)
        features = self.shape[1:]
        if X.shape == features:
            X = X[None]
        if X.ndim < 2 or X.shape[1:] != features:
            raise ValueError(f"X: expected rows of the feature shape {features} given by shape={self.shape}, "
                             f"got X of shape {X.shape}")
        return X

    @staticmethod
    def _check_inside(name, values, low, high):
        outside = (values < low) | (values > high)
        if np.any(outside):
            raise ValueError(f"{name}: expected values inside feature_range, "
                             f"got {int(outside.sum())} values outside it")

    def _no_info(self):
        value = getattr(self, "no_info_val_", self.no_info_val)
        if value is None:
            raise ValueError("no_info_val: not set; call fit(train_data) or pass no_info_val=... to CEM")
        return value

    def _check_Y(self, Y, probs):
        n, n_classes = probs.shape
        if Y is None:
            return np.eye(n_classes, dtype=np.float32)[np.nan_to_num(probs, nan=-1.0).argmax(1)]
        Y = as_float_array("Y", Y)
        if Y.shape == (n,) and np.all((Y == np.round(Y)) & (Y >= 0) & (Y < n_classes)):
            return np.eye(n_classes, dtype=np.float32)[Y.astype(int)]
        if Y.shape != (n, n_classes) or not np.all(Y.sum(1) == 1) or not np.all((Y == 0) | (Y == 1)):
            raise ValueError(
                f"Y: expected {n} class indices in [0, {n_classes}) or one-hot rows of shape ({n}, {n_classes}), "
                f"got {describe(Y)}"
            )
        return Y

    def _explanation(self, X, X_pred, solution, pred, grads_graph, grads_num, found, c, distance, empty):
        """The result, with the same entries in both modes (alibi's): those of the mode not run are None."""
        other = "PP" if self.mode == "PN" else "PN"
        params = {"mode": self.mode, "kappa": self.kappa, "beta": self.beta, "gamma": self.gamma,
                  "c_init": self.c_init, "c_steps": self.c_steps, "max_iterations": self.max_iterations,
                  "learning_rate_init": self.learning_rate_init, "clip": self.clip}
        return Explanation({"X": X, "X_pred": X_pred, self.mode: solution, f"{self.mode}_pred": pred, other: None,
                            f"{other}_pred": None, "grads_graph": grads_graph, "grads_num": grads_num, "found": found,
                            "c": c, "distance": distance, "PP_empty": empty}, "CEM", params=params,
                           model=self.model)

    def _empty_result(self, X, Y):
        if Y is not None and np.size(as_float_array("Y", Y)) != 0:
            raise ValueError(f"Y: expected no labels for an empty X, got {describe(Y)}")
        rows = np.zeros_like(X)
        none = np.zeros(0, bool)
        return self._explanation(X, np.zeros(0, int), rows, np.zeros(0, int), rows, rows, none,
                                 np.zeros(0, np.float32), np.zeros(0, np.float32), none if self.mode == "PP" else None)

    def _result(self, X, onehot, no_info, best, c, empty):
        dist, adv, grads_graph, grads_num = best
        key = self.mode
        explanation = self._numpy_fista.model_input(Constants(X, onehot, no_info, None, None, c), adv)
        probs = self.predictor(explanation)
        # A solution counts only if the model, called outside the loop, agrees (low-precision models can tie).
        found = (dist < BIG) & self._numpy_fista.is_valid(probs, onehot)
        if not found.any():
            warnings.warn(f"No {key} found for any of the {len(X)} instances; their rows are NaN; increase c_init, "
                          "c_steps or max_iterations", stacklevel=3)
        elif not found.all():
            warnings.warn(f"No {key} found for instances {np.flatnonzero(~found).tolist()}; their rows are NaN",
                          stacklevel=3)
        rows = found.reshape((-1,) + (1,) * (X.ndim - 1))
        return self._explanation(
            X, onehot.argmax(1), np.where(rows, explanation, np.nan), np.where(found, probs.argmax(1), -1),
            np.where(rows, grads_graph, np.nan), np.where(rows, grads_num, np.nan), found, c,
            np.where(found, dist, np.nan), None if empty is None else empty & found)

    # --- the iterations of one c round -------------------------------------------------------

    def _loop(self, X, onehot, eps0):
        """``run(consts, state, start, stop) -> state`` after steps ``start ≤ k < stop`` of a c round."""
        if not self.predictor.differentiable:
            loop = BlackBoxLoop(self._numpy_fista, self.predictor, (eps0, self.eps[1]), self.update_num_grad,
                                self._smooth_gradient(X))
            return loop.run
        key = ("loop", X.shape[1:], onehot.shape[1])
        if key not in self._programs:
            self._programs[key] = self._loop_runtime.compile(self._build_loop, self._signature(X, onehot))
        program = self._programs[key]
        return lambda consts, state, start, stop: unpack_state(*program(*pack(consts, state, start, stop)))

    @staticmethod
    def _signature(X, onehot):
        """The packed arguments (:func:`cem.packed.pack`)."""
        rows = len(CONSTANT_ROWS) + len(STATE_ROWS)
        return [tf.TensorSpec((rows, None) + X.shape[1:], tf.float32),
                tf.TensorSpec((None, onehot.shape[1]), tf.float32), tf.TensorSpec((3, None), tf.float32),
                tf.TensorSpec((2,), tf.int32)]

    def _build_loop(self, rows, onehot, per_row, steps):
        consts, state = unpack(rows, onehot, per_row)
        return list(pack_state(self._graph_loop.run(consts, state, self.predictor.tensor, steps[0], steps[1])))

    def _smooth_gradient(self, X):
        """``(consts, y) -> clip(∇_y(‖x0 − y‖² + γ‖AE(in) − in‖²))`` for black boxes: NumPy, or
        TensorFlow for the AE."""
        if self.ae_model is None:
            return lambda consts, y: np.clip(2.0 * (y - consts.x0), *self.clip)
        key = ("autoencoder", X.shape[1:])
        if key not in self._programs:
            rows = tf.TensorSpec((None,) + X.shape[1:], tf.float32)
            build = lambda x0, no_info, y: self._graph_loop.smooth_gradient(
                Constants(x0, None, no_info, None, None, None), y)
            self._programs[key] = self.runtime.compile(build, [rows, rows, rows])
        program = self._programs[key]
        return lambda consts, y: program(consts.x0, consts.no_info, y)
