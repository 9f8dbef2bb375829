"""Bad input to the explainable toolbox (issue #18): each case gets a ValueError/TypeError naming
the parameter the user passed, or a warning naming the cause, never an error from inside
TensorFlow, Keras, NumPy or scikit-image, nor a silently wrong result (the cases of
bench/probe_bad_input.py)."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from fixed_models import linear_model, logistic_model

from deepexplain import DeepExplain
from deepexplain.explainable import (
    ActivationVisualization,
    DeepShap,
    KernelShap,
    LimeImage,
    LimeTabular,
    LimeText,
    PermutationImportance,
)

X = np.arange(24, dtype=np.float32).reshape(8, 3) / 10
IMAGE = np.random.default_rng(0).random((12, 12, 3))


def dense(weights, softmax=False):
    """A Keras 3 model ``x @ weights`` (with a final softmax when asked)."""
    weights = np.asarray(weights, np.float32)
    model = keras.Sequential([keras.Input((weights.shape[0],)),
                              keras.layers.Dense(weights.shape[1], activation="softmax" if softmax else None)])
    model.set_weights([weights, np.zeros(weights.shape[1], np.float32)])
    return model


def all_nan(rows):
    return np.full((len(rows), 1), np.nan)


def image_scores(images):
    """Two scores per image: its mean, and one minus it."""
    means = np.asarray(images).reshape(len(images), -1).mean(axis=1)
    return np.stack([means, 1 - means], axis=1)


# -- KernelShap ---------------------------------------------------------------------------------

def test_kernel_shap_logit_link_refuses_outputs_that_are_not_probabilities():
    with pytest.raises(ValueError, match=r"link: 'logit' expected .*probabilities .* from 3 to 66 on data"):
        KernelShap(lambda rows: np.asarray(rows).sum(axis=1) * 10, X, link="logit")
    explainer = KernelShap(lambda rows: np.asarray(rows).sum(axis=1), X[:2] * 0, link="logit")
    with pytest.raises(ValueError, match="link: 'logit' expected .* on samples"):
        explainer.explain(X[5:6], progress=False)


def test_kernel_shap_logit_link_warns_of_saturated_probabilities():
    with pytest.warns(RuntimeWarning, match="link: 'logit' got probabilities of exactly 0 or 1 on data"):
        explainer = KernelShap(lambda rows: (np.asarray(rows).sum(axis=1) > 1).astype(float), X, link="logit")
    np.testing.assert_allclose(explainer.expected_value, np.log(0.875 / 0.125))  # 7 of 8 rows sum above 1


def test_kernel_shap_logit_link_accepts_probabilities():
    model = logistic_model("sklearn", [1.0, -1.0, 0.5])
    values = KernelShap(model, X, link="logit").explain(X[:2], progress=False)
    probability = model.predict_proba(X[:2])
    log_odds = np.log(probability / (1 - probability))
    np.testing.assert_allclose(values["values"].sum(axis=1) + values["expected_value"], log_odds, rtol=1e-6)


@pytest.mark.parametrize("kind", ["keras3", "sklearn"])
def test_kernel_shap_background_with_the_wrong_feature_count_names_data(kind):
    with pytest.raises(ValueError, match=r"data: expected rows of shape \(3,\)"):
        KernelShap(linear_model(kind, [1.0, 2.0, 3.0]), np.ones((4, 5)))


def test_kernel_shap_nan_outputs_warn():
    with pytest.warns(RuntimeWarning, match="NaN or infinite outputs"):
        KernelShap(all_nan, X)


# -- DeepShap -----------------------------------------------------------------------------------

def test_deep_shap_background_with_the_wrong_feature_count_names_data():
    with pytest.raises(ValueError, match=r"data: expected rows of shape \(3,\)"):
        DeepShap(dense(np.ones((3, 2))), np.ones((4, 5)))


def test_deep_shap_refuses_a_model_with_one_dimensional_output():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.ops.sum(inputs, axis=1))
    with pytest.raises(ValueError, match=r"model: expected outputs of shape \(n, outputs\).* got shape \(8,\)"):
        DeepShap(model, X)


def test_deep_shap_refuses_a_scikit_learn_model():
    with pytest.raises(TypeError, match="model: expected a Keras model, tf.Module or function of tensors"):
        DeepShap(logistic_model("sklearn", [1.0, 2.0, 3.0]), X)


def test_deep_shap_nan_outputs_warn():
    with pytest.warns(RuntimeWarning, match="NaN or infinite outputs"):
        DeepShap(dense(np.full((3, 2), np.nan)), X)


# -- LIME ---------------------------------------------------------------------------------------

def test_lime_tabular_data_that_does_not_fit_the_model_names_data():
    with pytest.raises(ValueError, match=r"data: expected rows of shape \(3,\)"):
        LimeTabular(dense(np.ones((3, 2))), data=np.ones((5, 4)), progress=False)
    with pytest.raises(ValueError, match=r"X_train: expected rows of shape \(3,\)"):
        LimeTabular(dense(np.ones((3, 2))), progress=False).fit(np.ones((5, 4)))


def test_lime_tabular_nan_outputs_warn():
    with pytest.warns(RuntimeWarning, match="NaN or infinite outputs"):
        LimeTabular(all_nan, data=X, progress=False).explain(X[0], num_samples=20, random_state=0)


def test_lime_text_refuses_a_model_with_numeric_input():
    with pytest.raises(TypeError, match="model: expected a model taking a batch of strings.* float32"):
        LimeText(dense(np.ones((3, 2))), progress=False)


@pytest.mark.parametrize("segmentation, params, error, message", [
    ("quickshift", {"bogus": 1}, ValueError, r"segmentation_params: expected keyword arguments .* unknown \['bogus'\]"),
    ("slic", {"start_label": 1}, ValueError, r"segmentation_params: .* unknown \['start_label'\]"),
    ("slic", [("n_segments", 4)], TypeError, "segmentation_params: expected a dict or None"),
    (lambda image: np.zeros(image.shape[:2], int), {"n_segments": 4}, ValueError,
     "segmentation_params: expected None with a segmentation function"),
])
def test_lime_image_segmentation_params_are_checked(segmentation, params, error, message):
    with pytest.raises(error, match=message):
        LimeImage(image_scores, segmentation=segmentation, segmentation_params=params)


def test_lime_image_segmentation_params_refused_by_scikit_image_name_them():
    explainer = LimeImage(image_scores, segmentation="slic", segmentation_params={"n_segments": "many"}, progress=False)
    with pytest.raises(ValueError, match="segmentation_params: scikit-image's slic refused"):
        explainer.explain(IMAGE, num_samples=10, random_state=0)


@pytest.mark.parametrize("hide_color, error", [("black", TypeError), (float("nan"), ValueError),
                                               (np.zeros(3), TypeError)])
def test_lime_image_hide_color_is_checked(hide_color, error):
    with pytest.raises(error, match="hide_color: expected a"):
        LimeImage(image_scores, hide_color=hide_color)


def test_lime_image_hide_color_hides_superpixels():
    explanation = LimeImage(image_scores, hide_color=0.25, segmentation="slic", progress=False).explain(
        IMAGE, num_samples=10, random_state=0)
    assert explanation.meta["params"]["hide_color"] == 0.25


# -- ActivationVisualization --------------------------------------------------------------------

@pytest.mark.parametrize("method", ["grad_cam", "saliency_map"])
def test_activation_visualization_names_input(method):
    visualization = ActivationVisualization(dense(np.ones((3, 2))))
    with pytest.raises(ValueError, match=r"input: expected rows of shape \(3,\)"):
        getattr(visualization, method)(np.ones((2, 5)))


# -- PermutationImportance ----------------------------------------------------------------------

CLASSIFIER_WEIGHTS = [[1.0, -1.0], [-1.0, 1.0], [0.5, 0.0]]


@pytest.mark.parametrize("model, metric, y, error, message", [
    (lambda: dense(CLASSIFIER_WEIGHTS, softmax=True), "accuracy", np.array(["a", "b"] * 4), ValueError,
     "y: expected class indices .* no classes_"),
    (lambda: dense(CLASSIFIER_WEIGHTS, softmax=True), "accuracy", np.arange(8) % 5, ValueError,
     r"y: expected class indices in \[0, 2\)"),
    (lambda: dense(CLASSIFIER_WEIGHTS, softmax=True), "accuracy", np.eye(3)[np.arange(8) % 3], ValueError,
     "y: expected one-hot rows of 2 columns"),
    (lambda: dense(CLASSIFIER_WEIGHTS, softmax=True), "accuracy", np.zeros((8, 2, 2)), ValueError,
     r"y: expected labels \(n,\) or one-hot rows \(n, 2\)"),
    (lambda: linear_model("sklearn", [1.0, -1.0, 0.5]), "accuracy", X @ np.array([1.0, -1.0, 0.5]), ValueError,
     "y: expected class labels for metric='accuracy', got continuous values"),
    (lambda: logistic_model("sklearn", [1.0, -1.0, 0.5]), "accuracy", np.array([0, 1, 2, 0, 1, 2, 0, 1]), ValueError,
     r"y: expected labels among the model's classes_ \[0, 1\], got \[2\]"),
    (lambda: dense(np.ones((3, 3)), softmax=True), "r2", np.arange(8) % 3, ValueError,
     r"y: expected 3 target\(s\) per row for metric='r2'"),
    (lambda: linear_model("sklearn", [1.0, -1.0, 0.5]), lambda y, p: float("nan"), np.zeros(8), ValueError,
     "metric: expected a finite score, got nan"),
    (lambda: linear_model("sklearn", [1.0, -1.0, 0.5]), lambda y, p: "good", np.zeros(8), TypeError,
     "metric: expected a function returning a number"),
])
def test_permutation_importance_refuses_targets_the_metric_cannot_score(model, metric, y, error, message):
    with pytest.raises(error, match=message):
        PermutationImportance(model(), metric, n_repeats=2, progress=False).compute(X, y)


def test_permutation_importance_maps_one_hot_rows_through_classes():
    from sklearn.linear_model import LogisticRegression

    labels = np.array(["no", "yes"] * 4)
    model = LogisticRegression().fit(X, labels)
    by_label = PermutationImportance(model, n_repeats=2, random_state=0, progress=False).compute(X, labels)
    one_hot = (labels[:, None] == model.classes_[None]).astype(float)
    by_rows = PermutationImportance(model, n_repeats=2, random_state=0, progress=False).compute(X, one_hot)
    assert by_label["baseline"] == by_rows["baseline"] == np.mean(model.predict(X) == labels)
    np.testing.assert_array_equal(by_label["importances"], by_rows["importances"])


# -- Counterfactual, CEM, CXPlain -------------------------------------------------------------------

def test_counterfactual_with_the_wrong_feature_count_names_original():
    from cem import Counterfactual

    with pytest.raises(ValueError, match=r"original: expected rows of shape \(3,\)"):
        Counterfactual(dense(CLASSIFIER_WEIGHTS, softmax=True), feature_ranges=(0, 1)).generate(
            np.ones((1, 5), np.float32), "other", max_iterations=2)


def two_outputs():
    inputs = keras.Input((3,))
    return keras.Model(inputs, [keras.layers.Dense(2)(inputs), keras.layers.Dense(2)(inputs)])


def test_cem_and_cxplain_refuse_models_with_two_outputs():
    from cem import CEM
    from cxplain import CXPlain, MLPModelBuilder, ZeroMasking

    with pytest.raises(TypeError, match="predict: expected a model with one output"):
        CEM(None, two_outputs(), "PN", (1, 3), max_iterations=2, no_info_val=0.0).explain(X[:1])
    explainer = CXPlain(two_outputs(), MLPModelBuilder(num_layers=1, num_units=4, num_epochs=1, batch_size=4),
                        ZeroMasking(), "mean_squared_error", progress=False)
    with pytest.raises(TypeError, match="explained_model: expected a model with one output"):
        explainer.fit(X, np.eye(2)[np.arange(8) % 2])


# -- sessions -----------------------------------------------------------------------------------------

def saliency_in(session, T, X):
    with DeepExplain(session=session) as de:
        return de.explain("saliency", T, X, np.ones((2, 3), np.float32))


@pytest.mark.session
def test_a_closed_session_is_named():
    graph = tf.Graph()
    with graph.as_default():
        session = tf.compat.v1.Session(graph=graph)
        inputs = tf.compat.v1.placeholder(tf.float32, (None, 3))
        output = tf.reduce_sum(inputs * 2.0, axis=1, keepdims=True)
        session.close()
        with pytest.raises(ValueError, match="session: expected an open tf.compat.v1.Session, got a closed one"):
            saliency_in(session, output, inputs)


@pytest.mark.session
def test_a_variable_never_initialised_is_named():
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        inputs = tf.compat.v1.placeholder(tf.float32, (None, 3))
        output = tf.matmul(inputs, tf.compat.v1.Variable(np.ones((3, 1), np.float32)))
        with pytest.raises(ValueError, match="session: the graph reads variables not initialised in this session"):
            saliency_in(session, output, inputs)
        session.run(tf.compat.v1.global_variables_initializer())
        np.testing.assert_allclose(saliency_in(session, output, inputs), 1.0)


@pytest.mark.session
def test_a_keras_3_model_in_a_tf1_session_is_named():
    if tf.executing_eagerly():
        pytest.skip("a TF1 process (eager execution disabled) is needed")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with DeepExplain(session=tf.compat.v1.Session()) as de:
        with pytest.raises(ValueError, match="session: .*a Keras 3 model cannot run in a TF1 session"):
            de.get_explainer("saliency", model).run(np.ones((2, 3), np.float32))
