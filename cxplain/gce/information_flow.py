"""The causal objective of GCE: the information flow from latent factors to the classifier's decision.

O'Shaughnessy et al., "Generative causal explanations of black-box classifiers", NeurIPS 2020, eq. (3)
and Alg. 1. With α_i ~ N(0, I), β_ij ~ N(0, I) and ``p_i(y) = (1/Nβ) Σ_j f_y(g(α_i, β_ij))``,

    Î(α; Ŷ) = H(q) − (1/Nα) Σ_i H(p_i),        q = (1/Nα) Σ_i p_i,

in nats, with ``H(p) = −Σ_y p(y) log(p(y) + 1e-8)``. That entropy is concave, so by Jensen
0 ≤ Î ≤ H(q) ≤ ln M for any models and draws.
"""
import numpy as np
import tensorflow as tf

from deepexplain.keras_models import call_model

EPSILON = 1e-8


def entropy(p):
    """``−Σ_y p(y) log(p(y) + ε)`` over the last axis."""
    return -tf.reduce_sum(p * tf.math.log(p + EPSILON), axis=-1)


def information_flow(p):
    """Î from the class distributions ``p`` (Nα, M) given each α draw (mean over its β draws)."""
    return entropy(tf.reduce_mean(p, axis=0)) - tf.reduce_mean(entropy(p), axis=0)


def class_given_alpha(decoder, classifier, z):
    """``p_i = (1/Nβ) Σ_j f(g(z_ij))`` (Nα, M) for latents ``z`` (Nα, Nβ, D): every
    decode and classify of the Nα·Nβ draws runs as one batch."""
    shape = tf.shape(z)
    images = decoder(tf.reshape(z, [-1, shape[-1]]))
    probabilities = call_model(classifier, images)
    return tf.reduce_mean(tf.reshape(probabilities, [shape[0], shape[1], -1]), axis=1)


def latent_draws(rng, n_alpha, n_beta, fixed, size):
    """Latents ``(n_alpha, n_beta, size)`` from N(0, I) in which the coordinates ``fixed`` are drawn
    once per α row (shared by its β draws) and all others afresh for every draw."""
    z = rng.standard_normal((n_alpha, n_beta, size)).astype(np.float32)
    fixed = list(fixed)
    z[:, :, fixed] = rng.standard_normal((n_alpha, 1, len(fixed))).astype(np.float32)
    return z
