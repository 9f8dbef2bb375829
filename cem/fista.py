"""Projected FISTA for CEM (Dhurandhar et al., NeurIPS 2018, Algorithm 1), written once for
two array modules: ``tensorflow.experimental.numpy`` (the in-graph loop of differentiable
models) and ``numpy`` (the loop of black boxes, free of per-iteration TensorFlow calls).

For each instance ``x0`` the iterate ``adv`` starts at ``x0``. The model sees ``adv`` (PN,
the perturbed instance ``x0 + δ``) or ``x0 + no_info − adv`` (PP: the point that keeps the
part ``x0 − adv`` of ``x0`` and has every other feature at ``no_info``; it lies between
``no_info`` and ``x0`` in every feature). One iteration, with slack ``y``, step ``k`` and
``α_k = lr0·(1 − k/K)^½``::

    adv' = Π(S_β(y − α_k ∇g(y)))                  shrinkage-thresholding, eq. 7
    y'   = Π(clip(adv' + (k+1)/(k+4)·(adv' − adv)))  momentum, eq. 6

``g = c·hinge + ‖x0 − y‖² + γ‖AE(in) − in‖²`` is the smooth part of the loss. ``Π``
(eq. 5) keeps a PN feature where it moved away from ``no_info`` (else ``x0``) and clips a
PP feature to the segment between ``no_info`` and ``x0``. Each iterate that the model
assigns to a different class (PN) or the same class (PP), with the ``κ`` margin, competes
for the best solution by elastic-net distance ``‖x0 − adv‖² + β‖x0 − adv‖₁`` (for PP, the
distance of the PP from ``no_info``).
"""
import math
import numbers
from typing import NamedTuple

import numpy as np
import tensorflow as tf
import tensorflow.experimental.numpy as tnp

BIG = 1e10
"""Distance of an instance without a solution yet; also the initial upper bound on c."""


class Constants(NamedTuple):
    """Per-instance inputs of one c round: rows of ``(N, *features)`` or ``(N, ...)``."""

    x0: tf.Tensor
    onehot: tf.Tensor  # (N, classes)
    no_info: tf.Tensor
    lower: tf.Tensor  # bounds of adv (PP: x0 + no_info − feature_range max, x0 + no_info − feature_range min)
    upper: tf.Tensor
    c: tf.Tensor  # (N,)


class State(NamedTuple):
    """The FISTA iterates and the best valid iterate found so far, per instance."""

    adv: tf.Tensor
    y: tf.Tensor
    grad_graph: tf.Tensor  # gradients of the step that produced adv
    grad_num: tf.Tensor
    best_dist: tf.Tensor  # (N,), BIG while nothing was found
    best_adv: tf.Tensor
    best_grad_graph: tf.Tensor
    best_grad_num: tf.Tensor
    found: tf.Tensor  # (N,) bool: a valid iterate was found in this round


def hinge(probs, onehot, kappa, mode, xp=tnp):
    """``max(0, f − g + κ)`` (PN) or ``max(0, g − f + κ)`` (PP) per row.

    ``f`` is the probability of the explained class and ``g`` the largest other one.
    """
    f = xp.sum(onehot * probs, axis=-1)
    g = xp.max((1.0 - onehot) * probs - 10000.0 * onehot, axis=-1)
    margin = f - g if mode == "PN" else g - f
    return xp.maximum(0.0, margin + kappa)


def per_row(values, like, xp=tnp):
    """``(N,)`` values reshaped to broadcast against rows ``like`` of shape ``(N, *features)``."""
    return xp.reshape(values, (-1,) + (1,) * (len(like.shape) - 1))


def elastic_net(x0, adv, beta, xp=tnp):
    """``‖x0 − adv‖² + β‖x0 − adv‖₁`` per row."""
    delta = x0 - adv
    axes = tuple(range(1, len(delta.shape)))
    return xp.sum(xp.square(delta), axis=axes) + beta * xp.sum(xp.abs(delta), axis=axes)


class Fista:
    """The CEM iteration for one mode, set of hyperparameters and array module ``xp``."""

    def __init__(self, mode, kappa, beta, learning_rate_init, max_iterations, clip, xp=tnp):
        self.mode = mode
        self.kappa = kappa
        self.beta = beta
        self.learning_rate_init = learning_rate_init
        self.max_iterations = max_iterations
        self.clip = clip
        self.xp = xp

    def model_input(self, consts, adv):
        """What the model is asked about: ``adv`` (PN) or ``no_info + (x0 − adv)`` (PP, clipped to the
        segment between ``no_info`` and ``x0`` against rounding)."""
        if self.mode == "PN":
            return adv
        return self.between(consts, consts.no_info + (consts.x0 - adv))

    def between(self, consts, v):
        """``v`` clipped to the segment between ``no_info`` and ``x0``, feature by feature."""
        xp, x0, no_info = self.xp, consts.x0, consts.no_info
        clipped = xp.clip(v, xp.minimum(no_info, x0), xp.maximum(no_info, x0))
        return clipped if xp is np else tf.ensure_shape(clipped, x0.shape)  # tnp.clip forgets static dimensions

    def initial_state(self, consts, best_dist, best_adv, best_grad_graph, best_grad_num):
        zeros = self.xp.zeros_like(consts.x0)
        found = self.xp.zeros_like(best_dist, dtype=bool)
        return State(consts.x0, consts.x0, zeros, zeros, best_dist, best_adv, best_grad_graph, best_grad_num, found)

    def is_valid(self, probs, onehot):
        """PN: the class changed even with ``κ`` added to it; PP: it held with ``κ`` removed.
        Rows with a NaN or infinite probability are never valid."""
        xp = self.xp
        shift = self.kappa * onehot
        adjusted = probs + shift if self.mode == "PN" else probs - shift
        same = xp.equal(xp.argmax(adjusted, axis=-1), xp.argmax(onehot, axis=-1))
        valid = xp.logical_not(same) if self.mode == "PN" else same
        return xp.logical_and(valid, xp.all(xp.isfinite(probs), axis=-1))

    def track(self, consts, state, probs_adv):
        """Keep ``state.adv`` as the best solution where it is valid and closer than the best so far."""
        xp = self.xp
        valid = self.is_valid(probs_adv, consts.onehot)
        dist = elastic_net(consts.x0, state.adv, self.beta, xp)
        better = xp.logical_and(valid, dist < state.best_dist)
        rows = per_row(better, state.adv, xp)
        return state._replace(
            best_dist=xp.where(better, dist, state.best_dist),
            best_adv=xp.where(rows, state.adv, state.best_adv),
            best_grad_graph=xp.where(rows, state.grad_graph, state.best_grad_graph),
            best_grad_num=xp.where(rows, state.grad_num, state.best_grad_num),
            found=xp.logical_or(state.found, valid),
        )

    def project(self, consts, v):
        """``Π``: PN keeps moves away from ``no_info``; PP stays between ``no_info`` and ``x0``."""
        xp = self.xp
        if self.mode == "PP":
            return self.between(consts, v)
        away = xp.abs(v - consts.no_info) > xp.abs(consts.x0 - consts.no_info)
        return xp.where(away, v, consts.x0)

    def shrink(self, consts, v):
        """``S_β``: soft-thresholding of ``v − x0`` at ``β``, within the bounds."""
        xp = self.xp
        z = v - consts.x0
        up = xp.minimum(v - self.beta, consts.upper)
        down = xp.maximum(v + self.beta, consts.lower)
        return xp.where(z > self.beta, up, xp.where(z < -self.beta, down, consts.x0))

    def schedule(self, k):
        """``(α_k, (k+1)/(k+4))``: the learning rate and momentum of step ``k`` (a Python int or a tensor)."""
        total = float(self.max_iterations)
        if isinstance(k, numbers.Integral):
            k = float(k)
            return self.learning_rate_init * math.sqrt(1.0 - min(k, total) / total), (k + 1.0) / (k + 4.0)
        k = tf.cast(k, tf.float32)
        return self.learning_rate_init * tf.sqrt(1.0 - tf.minimum(k, total) / total), (k + 1.0) / (k + 4.0)

    def step(self, consts, state, k, grad_graph, grad_num):
        """One FISTA update from the slack ``y`` with gradient ``grad_graph + grad_num``."""
        lr, momentum = self.schedule(k)
        adv = self.project(consts, self.shrink(consts, state.y - lr * (grad_graph + grad_num)))
        y = self.xp.clip(adv + momentum * (adv - state.adv), consts.lower, consts.upper)
        return state._replace(adv=adv, y=self.project(consts, y), grad_graph=grad_graph, grad_num=grad_num)


class GraphLoop:
    """Steps ``start`` to ``stop`` of a c round as one ``tf.while_loop`` with autodiff gradients.

    Each iteration runs the model forward and backward on the slack (for the gradient)
    and forward only on the iterate (for tracking). ``ae`` is the autoencoder (or None).
    There is no numerical gradient: ``grad_num`` and ``best_grad_num`` are zero and stay
    out of the loop's variables (fewer operations per iteration).
    """

    def __init__(self, fista, gamma, ae=None):
        self.fista = fista
        self.gamma = gamma
        self.ae = ae

    def smooth_loss(self, consts, y, probs=None):
        """Summed ``‖x0 − y‖² (+ γ‖AE(in) − in‖²) (+ c·hinge(probs))``: what autodiff differentiates."""
        loss = tf.reduce_sum(tf.square(consts.x0 - y))
        if self.ae is not None and self.gamma:
            inputs = self.fista.model_input(consts, y)
            loss += self.gamma * tf.reduce_sum(tf.square(self.ae(inputs) - inputs))
        if probs is not None:
            loss += tf.reduce_sum(consts.c * hinge(probs, consts.onehot, self.fista.kappa, self.fista.mode))
        return loss

    def smooth_gradient(self, consts, y, probs=None):
        """``clip(∇_y smooth_loss)``."""
        return tf.clip_by_value(tf.gradients(self.smooth_loss(consts, y, probs), y)[0], *self.fista.clip)

    def run(self, consts, state, predict, start, stop):
        """The state after steps ``start ≤ k < stop``, the final iterate tracked too."""
        fista = self.fista
        zeros = tf.zeros_like(consts.x0)
        carried = [name for name in State._fields if name not in ("grad_num", "best_grad_num")]

        def full(fields):
            return State(grad_num=zeros, best_grad_num=zeros, **dict(zip(carried, fields)))

        def body(k, *fields):
            current = full(fields)
            current = fista.track(consts, current, predict(fista.model_input(consts, current.adv)))
            probs_y = predict(fista.model_input(consts, current.y))
            grad = self.smooth_gradient(consts, current.y, probs_y)
            stepped = fista.step(consts, current, k, grad, zeros)
            return (k + 1,) + tuple(tf.ensure_shape(getattr(stepped, name), old.shape)
                                    for name, old in zip(carried, fields))

        loop = tf.while_loop(lambda k, *fields: k < stop, body, (start,) + tuple(getattr(state, n) for n in carried))
        final = full(loop[1:])
        return fista.track(consts, final, predict(fista.model_input(consts, final.adv)))
