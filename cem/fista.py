"""Projected FISTA for CEM, as TensorFlow ops (Dhurandhar et al., NeurIPS 2018, Algorithm 1).

For each instance ``x0`` the iterate ``adv`` starts at ``x0``; the model sees
``adv`` (PN, the perturbed instance ``x0 + δ``) or ``x0 − adv`` (PP, the part of
``x0`` that is kept). One iteration, with slack ``y``, step ``k`` and
``α_k = lr0·(1 − k/K)^½``::

    adv' = Π(S_β(y − α_k ∇g(y)))                  shrinkage-thresholding, eq. 7
    y'   = Π(clip(adv' + (k+1)/(k+4)·(adv' − adv)))  momentum, eq. 6

``g = c·hinge + ‖x0 − y‖² + γ‖AE(in) − in‖²`` is the smooth part of the loss and
``Π`` keeps a feature where it moved away from ``no_info`` (PN) or toward it (PP),
and resets it to ``x0`` elsewhere (eq. 5). Each iterate that the model assigns to
a different class (PN) or the same class (PP), with the ``κ`` margin, competes
for the best solution by elastic-net distance ``‖x0 − adv‖² + β‖x0 − adv‖₁``.
"""
from typing import NamedTuple

import tensorflow as tf
import tensorflow.experimental.numpy as tnp

BIG = 1e10
"""Distance of an instance without a solution yet; also the initial upper bound on c."""


class Constants(NamedTuple):
    """Per-instance inputs of one c round: rows of ``(N, *features)`` or ``(N, ...)``."""

    x0: tf.Tensor
    onehot: tf.Tensor  # (N, classes)
    no_info: tf.Tensor
    lower: tf.Tensor  # bounds of adv (PP: x0 − feature_range max, x0 − feature_range min)
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
    ``xp`` is ``tensorflow.experimental.numpy`` or ``numpy``.
    """
    f = xp.sum(onehot * probs, axis=-1)
    g = xp.max((1.0 - onehot) * probs - 10000.0 * onehot, axis=-1)
    margin = f - g if mode == "PN" else g - f
    return xp.maximum(0.0, margin + kappa)


def model_input(mode, x0, adv):
    """What the model is asked about: ``adv`` (PN) or ``x0 − adv`` (PP)."""
    return adv if mode == "PN" else x0 - adv


def _per_row(condition, like):
    return tf.reshape(condition, tf.concat([tf.shape(condition), tf.ones([tf.rank(like) - 1], tf.int32)], 0))


def elastic_net(x0, adv, beta):
    """``‖x0 − adv‖² + β‖x0 − adv‖₁`` per row."""
    delta = tf.reshape(x0 - adv, [tf.shape(x0)[0], -1])
    return tf.reduce_sum(tf.square(delta), 1) + beta * tf.reduce_sum(tf.abs(delta), 1)


class Fista:
    """The CEM iteration for one mode and set of hyperparameters."""

    def __init__(self, mode, kappa, beta, gamma, learning_rate_init, max_iterations, clip, ae=None):
        self.mode = mode
        self.kappa = kappa
        self.beta = beta
        self.gamma = gamma
        self.learning_rate_init = learning_rate_init
        self.max_iterations = max_iterations
        self.clip = clip
        self.ae = ae

    def initial_state(self, consts, best_dist, best_adv, best_grad_graph, best_grad_num):
        zeros = tf.zeros_like(consts.x0)
        found = tf.zeros_like(best_dist, dtype=tf.bool)
        return State(consts.x0, consts.x0, zeros, zeros, best_dist, best_adv, best_grad_graph, best_grad_num, found)

    def smooth_loss(self, consts, y, probs=None):
        """Summed ``‖x0 − y‖² (+ γ‖AE(in) − in‖²) (+ c·hinge(probs))``: what autodiff differentiates."""
        loss = tf.reduce_sum(tf.square(consts.x0 - y))
        if self.ae is not None and self.gamma:
            inputs = model_input(self.mode, consts.x0, y)
            loss += self.gamma * tf.reduce_sum(tf.square(self.ae(inputs) - inputs))
        if probs is not None:
            loss += tf.reduce_sum(consts.c * hinge(probs, consts.onehot, self.kappa, self.mode))
        return loss

    def graph_gradient(self, loss, y):
        return tf.clip_by_value(tf.gradients(loss, y)[0], *self.clip)

    def is_valid(self, probs, onehot):
        """PN: the class changed even with ``κ`` added to it; PP: it held with ``κ`` removed."""
        shift = self.kappa * onehot
        adjusted = probs + shift if self.mode == "PN" else probs - shift
        same = tf.equal(tf.argmax(adjusted, -1), tf.argmax(onehot, -1))
        return tf.logical_not(same) if self.mode == "PN" else same

    def track(self, consts, state, probs_adv):
        """Keep ``state.adv`` as the best solution where it is valid and closer than the best so far."""
        valid = self.is_valid(probs_adv, consts.onehot)
        dist = elastic_net(consts.x0, state.adv, self.beta)
        better = tf.logical_and(valid, dist < state.best_dist)
        rows = _per_row(better, state.adv)
        return state._replace(
            best_dist=tf.where(better, dist, state.best_dist),
            best_adv=tf.where(rows, state.adv, state.best_adv),
            best_grad_graph=tf.where(rows, state.grad_graph, state.best_grad_graph),
            best_grad_num=tf.where(rows, state.grad_num, state.best_grad_num),
            found=tf.logical_or(state.found, valid),
        )

    def project(self, consts, v):
        away = tf.abs(v - consts.no_info) > tf.abs(consts.x0 - consts.no_info)
        keep = away if self.mode == "PN" else tf.logical_not(away)
        return tf.where(keep, v, consts.x0)

    def shrink(self, consts, v):
        """``S_β``: soft-thresholding of ``v − x0`` at ``β``, within the bounds."""
        z = v - consts.x0
        up = tf.minimum(v - self.beta, consts.upper)
        down = tf.maximum(v + self.beta, consts.lower)
        return tf.where(z > self.beta, up, tf.where(z < -self.beta, down, consts.x0))

    def step(self, consts, state, k, grad_graph, grad_num):
        """One FISTA update from the slack ``y`` with gradient ``grad_graph + grad_num``."""
        k = tf.cast(k, tf.float32)
        total = float(self.max_iterations)
        lr = self.learning_rate_init * tf.sqrt(1.0 - tf.minimum(k, total) / total)
        adv = self.project(consts, self.shrink(consts, state.y - lr * (grad_graph + grad_num)))
        momentum = (k + 1.0) / (k + 4.0)
        y = tf.clip_by_value(adv + momentum * (adv - state.adv), consts.lower, consts.upper)
        return state._replace(adv=adv, y=self.project(consts, y), grad_graph=grad_graph, grad_num=grad_num)

    def round(self, consts, state, predict):
        """All ``max_iterations`` steps of one c round in a ``tf.while_loop``, autodiff gradients.

        Each iteration runs the model forward and backward on the slack (for the
        gradient) and forward only on the iterate (for tracking).
        """
        zeros = tf.zeros_like(consts.x0)

        def body(k, *fields):
            current = State(*fields)
            current = self.track(consts, current, predict(model_input(self.mode, consts.x0, current.adv)))
            probs_y = predict(model_input(self.mode, consts.x0, current.y))
            grad = self.graph_gradient(self.smooth_loss(consts, current.y, probs_y), current.y)
            return (k + 1,) + tuple(self.step(consts, current, k, grad, zeros))

        loop = tf.while_loop(lambda k, *fields: k < self.max_iterations, body, (tf.constant(0),) + tuple(state))
        final = State(*loop[1:])
        return self.track(consts, final, predict(model_input(self.mode, consts.x0, final.adv)))

    def black_box_iteration(self, consts, state, k, probs_adv, grad_num):
        """Track and step with the hinge gradient ``grad_num`` computed outside the graph."""
        state = self.track(consts, state, probs_adv)
        grad = self.graph_gradient(self.smooth_loss(consts, state.y), state.y)
        return self.step(consts, state, k, grad, grad_num)
