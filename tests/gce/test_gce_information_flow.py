"""The information-flow estimator Î(α; Ŷ) (O'Shaughnessy et al., NeurIPS 2020, eq. 3) and the
linear-Gaussian toy of the paper's §5: bounds, zero flow, the alignment maximum, and training."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from gce_models import information_flow_numpy, linear_vae, softmax, softmax_classifier

from cxplain import GenerativeCausalExplainer
from cxplain.gce.information_flow import class_given_alpha, information_flow, latent_draws

NORMAL = np.array([1.0, 0.0])
"""The linear classifier's normal in the toy: ``p(y = 1 | x) = sigmoid(3 x·NORMAL)``."""


def tf_flow(decoder, classifier, z):
    return float(information_flow(class_given_alpha(decoder, classifier, tf.constant(z))))


def toy_classifier():
    return lambda x: tf.nn.softmax(tf.stack([tf.zeros_like(x[:, 0]), 3.0 * x[:, 0]], axis=1))


def rotation(degrees):
    """Decoder rows: the α column at ``degrees`` to NORMAL, the β column orthogonal to it."""
    t = np.radians(degrees)
    return np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]], np.float32)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("M", [2, 3, 5])
def test_flow_is_between_zero_and_log_M_for_any_models_and_draws(seed, M):
    rng = np.random.default_rng(seed)
    K, L = int(rng.integers(1, 3)), int(rng.integers(0, 3))
    n_alpha, n_beta = int(rng.integers(1, 30)), int(rng.integers(1, 30))
    hidden = rng.normal(size=(K + L, 6)).astype(np.float32)
    head = (rng.normal(size=(6, M)) * rng.choice([0.1, 1.0, 30.0])).astype(np.float32)  # soft to saturated

    def decoder(z):
        return tf.tanh(z @ hidden)

    def classifier(x):
        return tf.nn.softmax(x @ head)

    flow = tf_flow(decoder, classifier, latent_draws(rng, n_alpha, n_beta, range(K), K + L))
    assert -1e-6 <= flow <= np.log(M) + 1e-6


def test_flow_reaches_log_M_when_alpha_decides_the_class():
    z = latent_draws(np.random.default_rng(0), 400, 5, [0], 2)
    flow = tf_flow(lambda z: z[:, :1], lambda x: tf.concat([tf.sigmoid(-1e3 * x), tf.sigmoid(1e3 * x)], 1), z)
    assert flow == pytest.approx(np.log(2), abs=5e-3)  # q ≈ (½, ½) within sampling error, every p_i one-hot


def test_flow_is_zero_when_the_decoder_ignores_alpha():
    rng = np.random.default_rng(0)
    constant = tf_flow(lambda z: 0.0 * z + 0.3, toy_classifier(), latent_draws(rng, 20, 10, [0], 2))
    assert abs(constant) < 1e-6
    # Only β reaches the classifier: the estimate is the bias of Nβ-sample means,
    # ≈ Σ_y Var(p_i(y)) / (2 q(y)) ≤ (M − 1) / (2 Nβ) = 2.5e-4 for M = 2, Nβ = 2000.
    ignored = tf_flow(lambda z: z @ np.array([[0.0, 0.0], [1.0, 0.0]], np.float32), toy_classifier(),
                      latent_draws(rng, 50, 2000, [0], 2))
    assert 0 <= ignored <= 1e-3


def test_tensorflow_estimator_matches_the_formula_in_numpy():
    z = latent_draws(np.random.default_rng(1), 40, 30, [0], 2)
    W = rotation(30)
    x = z.astype(np.float64) @ W
    p = softmax(np.stack([np.zeros_like(x[..., 0]), 3 * x[..., 0]], -1)).mean(axis=1)
    assert tf_flow(lambda z: z @ W, toy_classifier(), z) == pytest.approx(information_flow_numpy(p), abs=1e-5)


def test_flow_is_maximal_at_alignment_and_falls_with_the_angle():
    # Common draws for every angle; neighbouring angles differ by ≥ 0.013 nats, far above rounding.
    z = latent_draws(np.random.default_rng(0), 300, 300, [0], 2)
    angles = np.arange(-90, 91, 15)
    flows = np.array([tf_flow(lambda z, W=rotation(a): z @ W, toy_classifier(), z) for a in angles])
    assert np.argmax(flows) == list(angles).index(0)
    centre = len(angles) // 2
    assert np.all(np.diff(flows[centre:]) < -5e-3) and np.all(np.diff(flows[:centre + 1]) > 5e-3)
    assert flows[0] < 2e-3 and flows[-1] < 2e-3  # perpendicular: only the finite-Nβ bias remains


def test_training_on_the_linear_gaussian_toy_aligns_alpha_with_the_normal():
    X = np.random.default_rng(0).standard_normal((512, 2)).astype(np.float32)
    keras.utils.set_random_seed(0)
    encoder, decoder = linear_vae(keras, rotation(70))  # the α column starts at 70° (cosine 0.34)
    classifier = softmax_classifier(keras, np.array([[0.0, 3.0], [0.0, 0.0]]), np.zeros(2))
    explainer = GenerativeCausalExplainer(classifier, K=1, L=1, encoder=encoder, decoder=decoder, random_state=0)
    history = explainer.train(X, steps=400, Nalpha=25, Nbeta=50, lam=0.05, lr=1e-2, progress=False)
    alpha_column = decoder.get_weights()[0][0]
    cosine = abs(alpha_column @ NORMAL) / np.linalg.norm(alpha_column)
    assert cosine >= 0.9
    assert -history["loss_ce"][-50:].mean() > -history["loss_ce"][:10].mean()
    assert explainer.information_flow(Nalpha=200, Nbeta=200) > 0.25
