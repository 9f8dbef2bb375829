"""The modified chain rule as a small algebra: elementwise groups, products, gates, rectifier groups.

Exact values on tiny functions of TensorFlow ops: the Rescale multiplier of a whole group, the
two-player Shapley split of products and quotients (by enumeration), the conservative epsilon-LRP
rule for gates, guided backpropagation and DeconvNet on gated rectifiers.
"""
import math
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import deepexplain
from deepexplain import units

RNG = np.random.default_rng(11)
PAIRS = RNG.normal(0, 1.2, (5, 2)).astype(np.float32)
REFERENCE = np.array([0.3, -0.4], np.float32)

_erf = np.vectorize(math.erf)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


ACTIVATIONS = {
    "swish": (keras.activations.silu, lambda z: z * _sigmoid(z)),
    "gelu": (lambda z: keras.activations.gelu(z, approximate=False), lambda z: 0.5 * z * (1 + _erf(z / np.sqrt(2)))),
    "gelu_tanh": (lambda z: keras.activations.gelu(z, approximate=True),
                  lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))),
    "hard_swish": (keras.activations.hard_swish, lambda z: z * np.clip(z + 3, 0, 6) / 6),
    "mish": (keras.activations.mish, lambda z: z * np.tanh(np.log1p(np.exp(z)))),
    "exp_rsqrt": (lambda z: tf.exp(z) * tf.math.rsqrt(tf.square(z) + 1.0), lambda z: np.exp(z) / np.sqrt(z**2 + 1)),
    "clip_pow": (lambda z: tf.pow(tf.clip_by_value(z, -1.0, 2.0) + 2.0, 3.0), lambda z: (np.clip(z, -1, 2) + 2) ** 3),
}


def _quiet(method, model, xs, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every op on the path has a rule: no "plain gradients" warning
        return deepexplain.explain(method, model, xs, **params)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_an_elementwise_group_is_one_rescale_unit(name):
    # T = f(x0 + 2 x1): each input gets its share of Δz times the group's multiplier Δf/Δz.
    f, reference = ACTIVATIONS[name]
    result = _quiet("deeplift", lambda x: f(x[:, :1] + 2 * x[:, 1:]), PAIRS, baseline=REFERENCE)
    z, z_ref = PAIRS @ [1, 2], REFERENCE @ [1, 2]
    multiplier = (reference(z) - reference(z_ref)) / (z - z_ref)
    expected = (PAIRS - REFERENCE) * [1, 2] * multiplier[:, None]
    np.testing.assert_allclose(result, expected, rtol=2e-4, atol=1e-5)


def _two_player_shapley(game):
    """Exact Shapley values of the players 0 and 1 of ``game(in0, in1)`` (booleans: present or not)."""
    first = 0.5 * (game(True, False) - game(False, False)) + 0.5 * (game(True, True) - game(False, True))
    second = 0.5 * (game(False, True) - game(False, False)) + 0.5 * (game(True, True) - game(True, False))
    return first, second


PRODUCTS = {
    "Mul": lambda a, b: a * b,
    "RealDiv": lambda a, b: a / (b * b + 1.0),
    "MatMul": lambda a, b: tf.reshape(tf.matmul(tf.reshape(a, [-1, 1, 2]), tf.reshape(b, [-1, 2, 1])), [-1, 1]),
    "Einsum": lambda a, b: tf.einsum("bi,bi->b", a, b)[:, None],
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_products_split_as_the_exact_two_player_shapley_values(name):
    # a = tanh(W x_a) and b = x_b + 1 are the players; T = a ∘ b. DeepLIFT's share of each operand's
    # features is the exact Shapley value of the game v(S) = T(operands of S at x, others at r).
    product, w = PRODUCTS[name], np.array([[0.8, -1.1], [0.5, 0.9]], np.float32)
    xs, baseline = RNG.normal(0, 1, (4, 4)).astype(np.float32), np.array([0.2, -0.3, 0.1, 0.4], np.float32)

    def model(x):
        return tf.reduce_sum(product(tf.tanh(tf.matmul(x[:, :2], w)), x[:, 2:] + 1.0), 1, keepdims=True)

    result = _quiet("deeplift", model, xs, baseline=baseline)

    def game(a, b):
        at = np.broadcast_to(baseline, xs.shape)
        mixed = np.concatenate([(xs if a else at)[:, :2], (xs if b else at)[:, 2:]], 1)
        return model(tf.constant(mixed)).numpy()[:, 0]

    first, second = _two_player_shapley(game)
    np.testing.assert_allclose(result[:, :2].sum(1), first, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(result[:, 2:].sum(1), second, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("zero_baseline", [False, True])
def test_a_normalisation_scale_takes_its_share_after_the_centred_input(zero_baseline):
    # T = Σ_i w_i x_i·s, s = 1/√(v + 0.1), v = mean(x²): Δ(x·s) = Δx·s + x_r·Δs, and Δs reaches x_j through the
    # Rescale multipliers (s − s_r)/(v − v_r) of 1/√· and x_j + r_j of the square, and the mean's 1/3:
    # φ_j = Δx_j·[w_j·s + (w·r)·(s − s_r)/(v − v_r)·(x_j + r_j)/3]. With r = 0 that is x_j·w_j·s.
    w = np.array([0.7, -1.2, 0.4], np.float32)

    def model(x):
        return tf.reduce_sum(w * (x * tf.math.rsqrt(tf.reduce_mean(tf.square(x), 1, keepdims=True) + 0.1)), 1)[:, None]

    xs = RNG.normal(0, 1, (5, 3)).astype(np.float32)
    r = np.zeros(3, np.float32) if zero_baseline else np.array([0.5, -0.2, 0.9], np.float32)
    result = _quiet("deeplift", model, xs, baseline=r)
    v, v_r = (xs**2).mean(1, keepdims=True), (r**2).mean()
    s, s_r = 1 / np.sqrt(v + 0.1), 1 / np.sqrt(v_r + 0.1)
    expected = (xs - r) * (w * s + (w @ r) * (s - s_r) / (v - v_r) * (xs + r) / 3)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.sum(1), model(xs).numpy()[:, 0] - model(r[None]).numpy()[0, 0], rtol=1e-5)


@pytest.mark.parametrize("layer", ["LayerNormalization", "RMSNormalization"])
def test_stacked_normalisations_keep_float32_precision_before_a_zero_baseline(layer):
    # At the all-zero reference a normalisation's gain is 1/√ε = 1000: the Shapley split of x·s cancelled
    # terms that large and lost 2.5e-2 of Δf over two stacked layers; with the scale moved first nothing cancels.
    keras.utils.set_random_seed(3)
    i = keras.Input((8,))
    x = getattr(keras.layers, layer)(epsilon=1e-6)(i)
    x = getattr(keras.layers, layer)(epsilon=1e-6)(keras.layers.Dense(8)(x))
    model = keras.Model(i, keras.layers.Dense(1)(x))
    rng = np.random.default_rng(4)
    model.set_weights([rng.normal(0, 1, w.shape).astype(np.float32) for w in model.get_weights()])
    xs = rng.normal(0, 1, (16, 8)).astype(np.float32)
    change = model(xs).numpy()[:, 0] - model(np.zeros((1, 8), np.float32)).numpy()[0, 0]
    for method in ("deeplift", "deepshap"):
        params = {"background": np.zeros((1, 8), np.float32)} if method == "deepshap" else {}
        result = _quiet(method, model, xs, **params)
        assert np.abs(result.sum(1) - change).max() < 1e-5 * np.abs(change).max(), method


def test_squeeze_excitation_multiply_is_a_product_unit():
    i = keras.Input((3, 3, 2))
    x = keras.layers.Conv2D(3, 1, activation="swish")(i)
    s = keras.layers.Conv2D(3, 1, activation="sigmoid")(keras.layers.GlobalAveragePooling2D(keepdims=True)(x))
    model = keras.Model(i, keras.layers.Dense(1)(keras.layers.Flatten()(keras.layers.Multiply()([x, s]))))
    graph = tf.function(model).get_concrete_function(tf.TensorSpec((None, 3, 3, 2))).graph
    found = units.find_units(graph.inputs[:1], graph.outputs[0])[0]
    products = [unit for unit in found if isinstance(unit, units.Product)]
    groups = [unit for unit in found if isinstance(unit, units.Group)]
    assert [p.exit.type for p in products] == ["Mul"] and products[0].gate == 1  # the sigmoid is the gate
    assert any(g.rectifier and len(g.ops) > 1 for g in groups)  # swish: one group x·σ(x)


def test_epsilon_lrp_treats_a_gate_as_a_constant():
    # T = x0 · σ(x1): the gate σ(x1) is a constant, all relevance goes to x0 (Ali et al., ICML 2022).
    result = _quiet("elrp", lambda x: x[:, :1] * tf.sigmoid(x[:, 1:]), PAIRS)
    expected = np.stack([PAIRS[:, 0] * _sigmoid(PAIRS[:, 1]), np.zeros(len(PAIRS))], axis=1)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)


def test_epsilon_lrp_ratio_rule_over_a_group():
    # T = swish(x0 − x1): relevance = T · (x_i share of z) / z, up to ε.
    result = _quiet("elrp", lambda x: keras.activations.silu(x[:, :1] - x[:, 1:]), PAIRS, epsilon=1e-9)
    z = PAIRS[:, 0] - PAIRS[:, 1]
    expected = (PAIRS * [1, -1]) * (z * _sigmoid(z) / z)[:, None]
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-6)


def test_guided_backprop_and_deconvnet_treat_gated_units_as_rectifiers():
    def model(x):
        return -keras.activations.gelu(x[:, :1] - x[:, 1:], approximate=False)

    # The gradient arriving at the GELU is −1 < 0: guided backpropagation passes nothing, DeconvNet relu(−1) = 0.
    np.testing.assert_array_equal(_quiet("guided_backprop", model, PAIRS), np.zeros_like(PAIRS))
    np.testing.assert_array_equal(_quiet("deconvnet", model, PAIRS), np.zeros_like(PAIRS))
    assert np.abs(deepexplain.explain("saliency", model, PAIRS)).min() > 0


def test_a_product_without_a_rule_still_warns():
    with pytest.warns(UserWarning, match=r"Mul \(of two input-dependent tensors\)"):
        deepexplain.explain("guided_backprop", lambda x: x[:, :1] * x[:, 1:], PAIRS)


def test_deepshap_with_one_background_row_equals_deeplift():
    def model(x):
        a = keras.activations.gelu(x[:, :2] * 1.5 - x[:, 2:])
        weights = tf.nn.softmax(tf.einsum("bi,bj->bij", a, x[:, 2:]), axis=-1)
        scale = tf.math.rsqrt(tf.reduce_mean(tf.square(a), 1, keepdims=True) + 1)
        return tf.einsum("bij,bj->bi", weights, x[:, :2]) + scale

    xs, row = RNG.normal(0, 1, (4, 4)).astype(np.float32), RNG.normal(0, 1, (1, 4)).astype(np.float32)
    deepshap = _quiet("deepshap", model, xs, background=row)
    deeplift = _quiet("deeplift", model, xs, baseline=row[0])
    np.testing.assert_allclose(deepshap, deeplift, rtol=1e-5, atol=1e-6)
    differences = model(tf.constant(xs)).numpy().sum(1) - model(tf.constant(row)).numpy().sum()
    np.testing.assert_allclose(deeplift.sum(1), differences, rtol=1e-4, atol=1e-5)


def test_deepshap_equals_shap_deep_explainer_on_a_product_of_two_branches():
    # shap's DeepExplainer splits a product of two input-dependent tensors by the same Shapley rule.
    shap = pytest.importorskip("shap")
    i = keras.Input((4,))
    branches = [keras.layers.Dense(3, activation=act)(i) for act in ("tanh", "sigmoid")]
    model = keras.Model(i, keras.layers.Dense(1)(keras.layers.Multiply()(branches)))
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 1, w.shape).astype(np.float32) for w in model.get_weights()])
    xs, background = rng.normal(0, 1, (5, 4)).astype(np.float32), rng.normal(0, 1, (6, 4)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shap calls the model with a list of inputs, which Keras warns about
        expected = np.asarray(shap.DeepExplainer(model, background).shap_values(xs, check_additivity=False))
    result = _quiet("deepshap", model, xs, background=background)
    np.testing.assert_allclose(result, expected.reshape(result.shape), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("name", ["swish", "gelu", "hard_swish", "exp_rsqrt", "clip_pow"])
def test_a_group_whose_input_does_not_change_passes_its_derivative(name, fused, monkeypatch):
    # T = f(x0 − x1) with x0 − x1 kept at the reference's value: Δz = 0, so the multiplier is f'(z), which the
    # rule compiled by XLA takes on the group rebuilt from its ops; the attributions are ±Δx_i · f'(z).
    from deepexplain.methods import deeplift

    if fused:
        monkeypatch.setattr(deeplift, "_FUSED_SIZE", 0)
        monkeypatch.setattr(deeplift, "_FUSED_TOTAL", 0)
    f, _ = ACTIVATIONS[name]
    xs = PAIRS.copy()
    xs[:, 1] = xs[:, 0] - (REFERENCE[0] - REFERENCE[1])
    result = _quiet("deeplift", lambda x: f(x[:, :1] - x[:, 1:]), xs, baseline=REFERENCE)
    z = tf.constant(xs[:, :1] - xs[:, 1:])
    with tf.GradientTape() as tape:
        tape.watch(z)
        y = f(z)
    slope = tape.gradient(y, z).numpy()
    np.testing.assert_allclose(result, (xs - REFERENCE) * [1, -1] * slope, rtol=1e-4, atol=1e-6)


def test_rules_give_the_same_attributions_fused_by_xla_or_not(monkeypatch):
    # The rules on small tensors (below _FUSED_TOTAL) run as separate ops, the others as one XLA kernel: both
    # forms of every rule (group, product, quotient, softmax, rectifier) agree.
    from deepexplain.methods import deeplift

    def model(x):
        a = keras.activations.gelu(x[:, :3] * 1.5 - x[:, 3:])
        gated = tf.nn.relu(a) * tf.sigmoid(x[:, 3:]) / (tf.square(x[:, :3]) + 1)
        weights = tf.nn.softmax(tf.einsum("bi,bj->bij", gated, x[:, 3:]), axis=-1)
        normalised = a * tf.math.rsqrt(tf.reduce_mean(tf.square(a), 1, keepdims=True) + 1)
        divided = x[:, 3:] / tf.sqrt(tf.reduce_mean(tf.square(x[:, 3:] - 0.5), 1, keepdims=True) + 1)
        return tf.einsum("bij,bj->bi", weights, a) + normalised + divided

    xs, baseline = RNG.normal(0, 1, (4, 6)).astype(np.float32), RNG.normal(0, 1, 6).astype(np.float32)
    results = []
    for size in (0, 10**9):
        monkeypatch.setattr(deeplift, "_FUSED_SIZE", size)
        monkeypatch.setattr(deeplift, "_FUSED_TOTAL", size)
        results.append(_quiet("deeplift", model, xs, baseline=baseline))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)
