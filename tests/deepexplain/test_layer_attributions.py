"""Attributions at a layer (``layer=``): text models over integer ids explained at their Embedding,
against closed forms and completeness, in Keras 3 eager code and tf_keras in a session."""
import contextlib

import keras
import numpy as np
import pytest
import tensorflow as tf
import tf_keras
from tf_keras.api._v1.keras import backend as K

import deepexplain
from deepexplain import DeepExplain

RNG = np.random.default_rng(15)
VOCABULARY, DIM, TOKENS = 7, 3, 5
EMBEDDINGS = RNG.normal(0, 1.0, (VOCABULARY, DIM)).astype(np.float32)
W1 = RNG.normal(0, 0.8, (DIM, 4)).astype(np.float32)
B1 = RNG.normal(0, 0.3, 4).astype(np.float32)
W2 = RNG.normal(0, 0.8, (4, 2)).astype(np.float32)
IDS = np.array([[1, 2, 3, 4, 5], [6, 6, 0, 1, 2], [3, 3, 3, 3, 3]])
YS = np.eye(2, dtype=np.float32)[[0, 1, 1]]


def text_model(package, hidden=True):
    """ids → Embedding → [Dense(4, tanh)] → mean over tokens → Dense(2) (no biases but the hidden one)."""
    ids = package.Input((TOKENS,), dtype="int32")
    h = package.layers.Embedding(VOCABULARY, DIM, name="embedding")(ids)
    if hidden:
        h = package.layers.Dense(4, activation="tanh", name="hidden")(h)
    pooled = package.layers.GlobalAveragePooling1D()(h)
    model = package.Model(ids, package.layers.Dense(2, use_bias=False, name="head")(pooled))
    model.set_weights([EMBEDDINGS, W1, B1, W2] if hidden else [EMBEDDINGS, W2[:DIM]])
    return model


def reference_output(embedded, hidden=True):
    """The text model's output (n, 2) as a function of its embedded tokens (n, TOKENS, DIM)."""
    h = np.tanh(embedded @ W1 + B1) if hidden else embedded
    return h.mean(axis=1) @ (W2 if hidden else W2[:DIM])


@contextlib.contextmanager
def explaining(flavour, hidden=True):
    """``(de, model)``: Keras 3 in eager code, or tf_keras in a session (model built outside the context)."""
    if flavour == "keras3":
        with DeepExplain() as de:
            yield de, text_model(keras, hidden)
        return
    with tf.Graph().as_default():
        model = text_model(tf_keras, hidden)
        with DeepExplain(session=K.get_session()) as de:
            yield de, model


FLAVOURS = ["keras3", pytest.param("tf_keras", marks=pytest.mark.session)]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("method, params", [
    ("grad*input", {}), ("intgrad", {"steps": 3, "progress": False}), ("deeplift", {}), ("elrp", {}),
    ("deepshap", {"background": np.zeros((1, TOKENS, DIM), np.float32)}),
])
def test_bag_of_embeddings_gives_its_closed_form_token_attributions(flavour, method, params):
    """A linear model of the mean embedding: token t gets (E[id_t] · w) / TOKENS for every method."""
    with explaining(flavour, hidden=False) as (de, model):
        result = de.explain(method, model, xs=IDS, ys=YS, layer="embedding", **params)
    expected = np.einsum("itd,di->it", EMBEDDINGS[IDS], W2[:DIM] @ YS.T) / TOKENS
    assert result.shape == IDS.shape
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_deeplift_at_the_embedding_adds_up_to_the_change_from_zero_embeddings(flavour):
    with explaining(flavour) as (de, model):
        result = de.explain("deeplift", model, xs=IDS, ys=YS, layer=model.get_layer("embedding"))
        by_name = de.explain("deeplift", model, xs=IDS, ys=YS, layer="embedding", sum_embedding=False)
    change = ((reference_output(EMBEDDINGS[IDS]) - reference_output(np.zeros((3, TOKENS, DIM)))) * YS).sum(1)
    np.testing.assert_allclose(result.sum(1), change, rtol=1e-5, atol=1e-6)
    assert by_name.shape == IDS.shape + (DIM,)
    np.testing.assert_allclose(by_name.sum(-1), result, atol=1e-6)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_intgrad_at_the_embedding_misses_completeness_by_its_reported_delta(flavour):
    with explaining(flavour) as (de, model):
        explainer = de.get_explainer("intgrad", model, layer="embedding", steps=4, tolerance=1.0, progress=False)
        result = explainer.run(IDS, YS)
    change = ((reference_output(EMBEDDINGS[IDS]) - reference_output(np.zeros((3, TOKENS, DIM)))) * YS).sum(1)
    np.testing.assert_allclose(result.sum(1) - change, explainer.last_delta, atol=2e-6)
    assert np.abs(explainer.last_delta).max() > 1e-5  # a quadrature error, not zero by construction


@pytest.mark.session
def test_session_tensors_as_layer_and_the_original_recipe():
    """``layer=`` the embedding output tensor; and the original recipe (T = logits × one-hot rows, X = the
    embedding output) with the constant's rows taken as ys."""
    with tf.Graph().as_default():
        model = text_model(tf_keras)
        sess = K.get_session()
        with DeepExplain(session=sess) as de:
            ids, logits = model.inputs[0], model.outputs[0]
            embedded = model.get_layer("embedding").output
            params = {"steps": 5, "tolerance": 1.0, "progress": False}
            at_layer = de.explain("intgrad", logits, ids, IDS, ys=YS, layer=embedded, **params)
            embedded_ids = sess.run(embedded, {ids: IDS})
            recipe = de.explain("intgrad", logits * YS, embedded, embedded_ids, **params)
            message = r"T: expected the constant .* one row per sample of xs \(3\), got 2 rows; .* as ys"
            with pytest.raises(ValueError, match=message):
                de.explain("saliency", logits * YS[:2], embedded, embedded_ids)
    np.testing.assert_allclose(recipe.sum(-1), at_layer, atol=1e-6)
    change = ((reference_output(EMBEDDINGS[IDS], True) - reference_output(np.zeros((3, TOKENS, DIM)))) * YS).sum(1)
    assert np.abs(at_layer.sum(1) - change).max() < 0.05 * np.abs(change).max()


def test_gradcam_on_token_ids_through_the_embedding():
    """At a linear bag of embeddings the gradient is w/TOKENS for every token: map_t = ReLU(E[id_t]·w)/TOKENS."""
    result = deepexplain.explain("gradcam", text_model(keras, hidden=False), IDS, ys=YS, layer="embedding")
    expected = np.maximum(np.einsum("itd,di->it", EMBEDDINGS[IDS], W2[:DIM] @ YS.T), 0) / TOKENS
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)


def test_layer_errors_name_the_parameter():
    model = text_model(keras)
    names = r"layer: expected the name of a layer of the model, one of \[.*'embedding'.*\], got 'nope'"
    with pytest.raises(ValueError, match=names):
        deepexplain.explain("deeplift", model, IDS, layer="nope")
    with pytest.raises(TypeError, match="layer: occlusion explains the model's inputs only"):
        deepexplain.explain("occlusion", model, IDS, layer="embedding")
    with pytest.raises(TypeError, match="sum_embedding: expected True or False, got str 'no'"):
        deepexplain.explain("saliency", model, IDS, layer="embedding", sum_embedding="no")
    with pytest.raises(ValueError, match="X: the target does not depend .* layer='embedding'"):
        deepexplain.explain("saliency", model, IDS)
    x = keras.Input((3,))
    bypassed = keras.Model(x, keras.layers.Add()([keras.layers.Dense(3, name="dense")(x), x]))
    bypass = "layer: expected a layer through which the model uses all of its inputs, got 'dense'"
    with pytest.raises(ValueError, match=bypass):
        deepexplain.explain("saliency", bypassed, np.ones((2, 3), np.float32), layer="dense")


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("method, name, given", [
    ("deeplift", "baseline", IDS[2]), ("intgrad", "baseline", IDS[2]), ("deepshap", "background", IDS[:2]),
    ("expected_gradients", "background", IDS[:2]),
])
def test_references_given_as_token_ids_are_embedded(flavour, method, name, given):
    """A baseline or background of token ids (shaped like xs) equals the same references given at the layer."""
    params = {"progress": False, "seed": 0} if method == "expected_gradients" else {}
    params.update({"steps": 4, "progress": False} if method == "intgrad" else {})
    with explaining(flavour) as (de, model):
        from_ids = de.explain(method, model, xs=IDS, ys=YS, layer="embedding", **{name: given}, **params)
        embedded = de.explain(method, model, xs=IDS, ys=YS, layer="embedding", **{name: EMBEDDINGS[given]}, **params)
    np.testing.assert_allclose(from_ids, embedded, rtol=1e-5, atol=1e-6)
    if method in ("deeplift", "deepshap"):
        references = EMBEDDINGS[given].reshape((-1, TOKENS, DIM))
        change = (reference_output(EMBEDDINGS[IDS]) * YS).sum(1) - (reference_output(references) @ YS.T).mean(0)
        np.testing.assert_allclose(from_ids.sum(1), change, rtol=1e-5, atol=1e-6)
