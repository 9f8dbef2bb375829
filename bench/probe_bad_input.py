"""Probe of the explainable toolbox, ``deepexplain.metrics`` and the GCE under bad input (issue #18).

Each case calls one public entry with one bad (or edge) input and is classified:

* ``clear``: a ValueError/TypeError naming the parameter the user passed, or the expected warning;
* ``unnamed``: a ValueError/TypeError that does not name that parameter;
* ``internal``: any other exception (from TensorFlow, Keras, NumPy, scikit-learn...);
* ``silent-wrong``: no error and no warning;
* ``ok``: an edge input that must work, and did.

Run: ``python bench/probe_bad_input.py`` (about a minute on two CPU cores); prints one line per
case that is not clear/ok, then the counts by class.
"""
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

CASES = []


def case(name, expect="error", param=None):
    """Register a probe case: ``expect`` is "error" (a named error), "warn" (a warning or a named
    error) or "ok"; ``param`` is the word the message must contain."""
    def register(function):
        CASES.append((name, function, expect, param))
        return function
    return register


def keras_linear(weights, bias=0.0, softmax=False):
    import keras

    weights = np.asarray(weights, np.float32)
    model = keras.Sequential([keras.Input((weights.shape[0],)),
                              keras.layers.Dense(weights.shape[1], activation="softmax" if softmax else None)])
    model.set_weights([weights, np.full(weights.shape[1], bias, np.float32)])
    return model


def sklearn_logistic():
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression()
    model.classes_ = np.array([0, 1])
    model.coef_, model.intercept_, model.n_features_in_ = np.array([[1.0, -1.0, 0.5]]), np.array([0.0]), 3
    return model


def sklearn_regressor():
    from sklearn.linear_model import LinearRegression

    model = LinearRegression()
    model.coef_, model.intercept_, model.n_features_in_ = np.array([1.0, -1.0, 0.5]), 0.0, 3
    return model


X3 = np.arange(24, dtype=np.float32).reshape(8, 3) / 10


def nan_model(rows):
    out = np.asarray(rows, np.float64).sum(axis=1, keepdims=True)
    out[0] = np.nan
    return out


def all_nan_model(rows):
    return np.full((len(rows), 1), np.nan)


# -- KernelShap -----------------------------------------------------------------------------

@case("KernelShap NaN outputs", "warn", "NaN")
def _():
    from deepexplain.explainable import KernelShap

    KernelShap(all_nan_model, X3).explain(X3[:2], progress=False)


@case("KernelShap logit outside (0,1)", "warn", "link")
def _():
    from deepexplain.explainable import KernelShap

    KernelShap(lambda r: np.asarray(r).sum(1) * 10, X3, link="logit").explain(X3[:2], progress=False)


@case("KernelShap logit saturated probabilities", "warn", "link")
def _():
    from deepexplain.explainable import KernelShap

    KernelShap(lambda r: (np.asarray(r).sum(1) > 1).astype(float), X3, link="logit")


@case("KernelShap background wrong feature count (keras)", "error", "data")
def _():
    from deepexplain.explainable import KernelShap

    KernelShap(keras_linear(np.ones((3, 1))), np.ones((4, 5)))


@case("KernelShap background wrong feature count (sklearn)", "error", "data")
def _():
    from deepexplain.explainable import KernelShap

    KernelShap(sklearn_logistic(), np.ones((4, 5)))


@case("KernelShap samples wrong features", "error", "samples")
def _():
    from deepexplain.explainable import KernelShap

    KernelShap(sklearn_logistic(), X3).explain(np.ones((2, 4)), progress=False)


@case("KernelShap samples strings", "error", "samples")
def _():
    from deepexplain.explainable import KernelShap

    KernelShap(sklearn_logistic(), X3).explain([["a", "b", "c"]], progress=False)


@case("KernelShap samples NaN", "error", "samples")
def _():
    from deepexplain.explainable import KernelShap

    KernelShap(sklearn_logistic(), X3).explain(np.full((1, 3), np.nan), progress=False)


@case("KernelShap link unknown", "error", "link")
def _():
    from deepexplain.explainable import KernelShap

    KernelShap(sklearn_logistic(), X3, link="probit")


# -- DeepShap -------------------------------------------------------------------------------

@case("DeepShap background wrong feature count", "error", "data")
def _():
    from deepexplain.explainable import DeepShap

    DeepShap(keras_linear(np.ones((3, 2))), np.ones((4, 5)))


@case("DeepShap samples wrong feature count", "error", "X")
def _():
    from deepexplain.explainable import DeepShap

    DeepShap(keras_linear(np.ones((3, 2))), X3).explain(np.ones((2, 4)))


@case("DeepShap NaN outputs", "warn", "NaN")
def _():
    from deepexplain.explainable import DeepShap

    model = keras_linear(np.full((3, 2), np.nan))
    DeepShap(model, X3).explain(X3[:2])


@case("DeepShap model with 1-D output", "error", "model")
def _():
    import keras

    from deepexplain.explainable import DeepShap

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.ops.sum(inputs, axis=1))
    DeepShap(model, X3).explain(X3[:2])


@case("DeepShap scikit-learn model", "error", "model")
def _():
    from deepexplain.explainable import DeepShap

    DeepShap(sklearn_logistic(), X3)


# -- LimeTabular ----------------------------------------------------------------------------

@case("LimeTabular NaN outputs", "warn", "NaN")
def _():
    from deepexplain.explainable import LimeTabular

    LimeTabular(all_nan_model, data=X3, progress=False).explain(X3[0], num_samples=50, random_state=0)


@case("LimeTabular sample wrong features", "error", "sample")
def _():
    from deepexplain.explainable import LimeTabular

    LimeTabular(sklearn_logistic(), data=X3, progress=False).explain(np.ones(4), num_samples=50, random_state=0)


@case("LimeTabular data wrong features (keras)", "error", "data")
def _():
    from deepexplain.explainable import LimeTabular

    LimeTabular(keras_linear(np.ones((3, 2))), data=np.ones((5, 4)), progress=False).explain(
        np.ones(4), num_samples=50, random_state=0)


# -- LimeText / LimeImage -------------------------------------------------------------------

@case("LimeText numeric model", "error", "model")
def _():
    from deepexplain.explainable import LimeText

    LimeText(keras_linear(np.ones((3, 2))), progress=False).explain("a good film", num_samples=20, random_state=0)


@case("LimeText model returning strings", "error", "model")
def _():
    from deepexplain.explainable import LimeText

    LimeText(lambda texts: np.array(["x"] * len(texts)), progress=False).explain("a b", num_samples=20, random_state=0)


@case("LimeImage segmentation_params unknown key", "error", "segmentation_params")
def _():
    from deepexplain.explainable import LimeImage

    LimeImage(lambda x: np.asarray(x).reshape(len(x), -1)[:, :2], segmentation_params={"bogus": 1},
              progress=False).explain(np.random.default_rng(0).random((16, 16, 3)), num_samples=10, random_state=0)


@case("LimeImage segmentation_params not a dict", "error", "segmentation_params")
def _():
    from deepexplain.explainable import LimeImage

    LimeImage(lambda x: x, segmentation_params=[1, 2])


@case("LimeImage hide_color string", "error", "hide_color")
def _():
    from deepexplain.explainable import LimeImage

    LimeImage(lambda x: x, hide_color="black")


@case("LimeImage hide_color NaN", "error", "hide_color")
def _():
    from deepexplain.explainable import LimeImage

    LimeImage(lambda x: x, hide_color=float("nan"))


@case("LimeImage hide_color per channel (ok)", "ok")
def _():
    from deepexplain.explainable import LimeImage

    image = np.random.default_rng(0).random((16, 16, 3))
    LimeImage(lambda x: np.asarray(x).reshape(len(x), -1)[:, :2], hide_color=0.0, segmentation="slic",
              progress=False).explain(image, num_samples=10, random_state=0)


# -- ActivationVisualization ----------------------------------------------------------------

@case("ActivationVisualization grad_cam wrong shape", "error", "input")
def _():
    from deepexplain.explainable import ActivationVisualization

    ActivationVisualization(keras_linear(np.ones((3, 2)))).grad_cam(np.ones((2, 5)))


@case("ActivationVisualization saliency_map wrong shape", "error", "input")
def _():
    from deepexplain.explainable import ActivationVisualization

    ActivationVisualization(keras_linear(np.ones((3, 2)))).saliency_map(np.ones((2, 5)))


# -- PermutationImportance ------------------------------------------------------------------

@case("PermutationImportance string labels keras", "error", "y")
def _():
    from deepexplain.explainable import PermutationImportance

    PermutationImportance(keras_linear(np.ones((3, 2)), softmax=True), n_repeats=2, progress=False).compute(
        X3, np.array(["a", "b"] * 4))


@case("PermutationImportance accuracy on regressor", "error", "y")
def _():
    from deepexplain.explainable import PermutationImportance

    PermutationImportance(sklearn_regressor(), "accuracy", n_repeats=2, progress=False).compute(
        X3, X3 @ np.array([1.0, -1.0, 0.5]))


@case("PermutationImportance r2 on 3-class model", "error", "y")
def _():
    from deepexplain.explainable import PermutationImportance

    PermutationImportance(keras_linear(np.ones((3, 3)), softmax=True), "r2", n_repeats=2, progress=False).compute(
        X3, np.arange(8) % 3)


@case("PermutationImportance metric returning NaN", "error", "metric")
def _():
    from deepexplain.explainable import PermutationImportance

    PermutationImportance(sklearn_logistic(), lambda y, p: float("nan"), n_repeats=2, progress=False).compute(
        X3, np.arange(8) % 2)


@case("PermutationImportance wrong feature count keras", "error", "X")
def _():
    from deepexplain.explainable import PermutationImportance

    PermutationImportance(keras_linear(np.ones((3, 2)), softmax=True), n_repeats=2, progress=False).compute(
        np.ones((8, 5)), np.arange(8) % 2)


@case("PermutationImportance labels not in classes", "error", "y")
def _():
    from deepexplain.explainable import PermutationImportance

    PermutationImportance(keras_linear(np.ones((3, 2)), softmax=True), n_repeats=2, progress=False).compute(
        X3, np.arange(8) % 5)


@case("PermutationImportance sklearn string labels (ok)", "ok")
def _():
    from sklearn.linear_model import LogisticRegression

    from deepexplain.explainable import PermutationImportance

    y = np.array(["no", "yes"] * 4)
    model = LogisticRegression().fit(X3, y)
    PermutationImportance(model, n_repeats=2, progress=False).compute(X3, y)


# -- metrics --------------------------------------------------------------------------------

def metric_model():
    return keras_linear(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))


@case("completeness NaN attributions", "error", "attributions")
def _():
    from deepexplain.metrics import completeness

    a = np.ones_like(X3)
    a[0, 0] = np.nan
    completeness(metric_model(), X3, a, targets=0)


@case("deletion NaN attributions", "error", "attributions")
def _():
    from deepexplain.metrics import deletion

    a = np.ones_like(X3)
    a[0, 0] = np.nan
    deletion(metric_model(), X3, a, targets=0, steps=3)


@case("completeness targets out of range", "error", "targets")
def _():
    from deepexplain.metrics import completeness

    completeness(metric_model(), X3, np.ones_like(X3), targets=5)


@case("completeness targets below -1", "error", "targets")
def _():
    from deepexplain.metrics import completeness

    completeness(metric_model(), X3, np.ones_like(X3), targets=-3)


@case("completeness 0 rows", "error", "xs")
def _():
    from deepexplain.metrics import completeness

    completeness(metric_model(), np.zeros((0, 3)), np.zeros((0, 3)))


@case("completeness NaN model outputs", "warn", "NaN")
def _():
    from deepexplain.metrics import completeness

    completeness(nan_model, X3, np.ones_like(X3))


@case("completeness scikit-learn black box (ok)", "ok")
def _():
    from deepexplain.metrics import completeness

    completeness(sklearn_logistic(), X3, np.ones_like(X3), targets=1)


@case("deletion scikit-learn black box (ok)", "ok")
def _():
    from deepexplain.metrics import deletion

    deletion(sklearn_logistic(), X3, np.ones_like(X3), targets=1, steps=3)


@case("infidelity scikit-learn black box (ok)", "ok")
def _():
    from deepexplain.metrics import infidelity

    infidelity(sklearn_logistic(), X3, np.ones_like(X3), targets=1, n_perturbations=3, random_state=0)


@case("sensitivity_n scikit-learn black box (ok)", "ok")
def _():
    from deepexplain.metrics import sensitivity_n

    sensitivity_n(sklearn_logistic(), X3, np.ones_like(X3) * [1, 2, 3], targets=1, ns=[1], n_subsets=5,
                  random_state=0)


@case("sensitivity_n ns covers every feature", "warn", "ns")
def _():
    from deepexplain.metrics import sensitivity_n

    sensitivity_n(metric_model(), X3, X3, targets=0, ns=[3], n_subsets=5, random_state=0)


@case("sensitivity_n n_subsets=1", "warn", "n_subsets")
def _():
    from deepexplain.metrics import sensitivity_n

    sensitivity_n(metric_model(), X3, X3, targets=0, ns=[1], n_subsets=1, random_state=0)


@case("sensitivity_n constant attributions", "warn", "attributions")
def _():
    from deepexplain.metrics import sensitivity_n

    sensitivity_n(metric_model(), X3, np.ones_like(X3), targets=0, ns=[2], n_subsets=5, random_state=0)


@case("sensitivity_n bad seed", "error", "random_state")
def _():
    from deepexplain.metrics import sensitivity_n

    sensitivity_n(metric_model(), X3, X3, targets=0, ns=[1], random_state=-1)


@case("sensitivity_n seed string", "error", "random_state")
def _():
    from deepexplain.metrics import sensitivity_n

    sensitivity_n(metric_model(), X3, X3, targets=0, ns=[1], random_state="zero")


@case("sensitivity_n ns strings", "error", "ns")
def _():
    from deepexplain.metrics import sensitivity_n

    sensitivity_n(metric_model(), X3, X3, targets=0, ns=["a"], random_state=0)


@case("max_sensitivity bad seed", "error", "random_state")
def _():
    from deepexplain.metrics import max_sensitivity

    max_sensitivity(lambda rows, t: rows, X3, random_state=1.5)


@case("max_sensitivity explain not callable", "error", "explain")
def _():
    from deepexplain.metrics import max_sensitivity

    max_sensitivity("saliency", X3, random_state=0)


@case("max_sensitivity explain wrong shape", "error", "explain")
def _():
    from deepexplain.metrics import max_sensitivity

    max_sensitivity(lambda rows, t: np.ones((len(rows), 2)), X3, random_state=0)


@case("max_sensitivity explain returns None", "error", "explain")
def _():
    from deepexplain.metrics import max_sensitivity

    max_sensitivity(lambda rows, t: None, X3, attributions=X3, random_state=0)


@case("max_sensitivity explain raises", "error", "explain")
def _():
    from deepexplain.metrics import max_sensitivity

    def explain(rows, targets):
        raise KeyError("oops")

    max_sensitivity(explain, X3, random_state=0)


@case("max_sensitivity explain wrong arity", "error", "explain")
def _():
    from deepexplain.metrics import max_sensitivity

    max_sensitivity(lambda rows: rows, X3, random_state=0)


@case("infidelity NaN attributions", "error", "attributions")
def _():
    from deepexplain.metrics import infidelity

    infidelity(metric_model(), X3, np.full_like(X3, np.nan), targets=0, n_perturbations=3, random_state=0)


@case("deletion model wrong feature count", "error", "xs")
def _():
    from deepexplain.metrics import deletion

    deletion(metric_model(), np.ones((2, 5)), np.ones((2, 5)), targets=0, steps=3)


# -- GCE --------------------------------------------------------------------------------------

def gce_classifier(softmax=True):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax" if softmax else None)])
    model.set_weights([np.array([[1, -1], [-1, 1], [0.5, 0], [0, 0.5]], np.float32), np.zeros(2, np.float32)])
    return model


XG = np.random.default_rng(0).random((16, 4)).astype(np.float32)


@case("GCE train logits then train (state)", "error", "classifier")
def _():
    from cxplain.gce import GenerativeCausalExplainer

    gce = GenerativeCausalExplainer(gce_classifier(softmax=False), K=1, L=1, width=4, random_state=0)
    try:
        gce.train(XG, steps=1, Nalpha=2, Nbeta=2, batch_size=4, progress=False)
    except ValueError as error:
        try:
            gce.explain(XG[:1])
        except ValueError as untrained:
            if "not trained" not in str(untrained):
                raise RuntimeError(f"explain after failed train: {untrained}") from None
        else:
            raise RuntimeError("explain ran on the untrained VAE after a failed train") from None
        raise error


@case("GCE failed train, then correct train works (ok)", "ok")
def _():
    from cxplain.gce import GenerativeCausalExplainer

    gce = GenerativeCausalExplainer(gce_classifier(), K=1, L=1, width=4, random_state=0)
    try:
        gce.train(np.ones((16, 5), np.float32), steps=1, Nalpha=2, Nbeta=2, batch_size=4, progress=False)
    except ValueError:
        pass
    gce.train(XG, steps=1, Nalpha=2, Nbeta=2, batch_size=4, progress=False)


@case("GCE train wrong feature count", "error", "X")
def _():
    from cxplain.gce import GenerativeCausalExplainer

    GenerativeCausalExplainer(gce_classifier(), K=1, L=1, width=4, random_state=0).train(
        np.ones((16, 5), np.float32), steps=1, Nalpha=2, Nbeta=2, batch_size=4, progress=False)


def trained_gce():
    from cxplain.gce import GenerativeCausalExplainer

    gce = GenerativeCausalExplainer(gce_classifier(), K=1, L=1, width=4, random_state=0)
    gce.train(XG, steps=1, Nalpha=2, Nbeta=2, batch_size=4, progress=False)
    return gce


@case("GCE aspect_removal_accuracy labels out of range", "error", "y")
def _():
    trained_gce().aspect_removal_accuracy(XG, np.arange(16) % 5)


@case("GCE aspect_removal_accuracy negative labels", "error", "y")
def _():
    trained_gce().aspect_removal_accuracy(XG, -np.ones(16, int))


@case("GCE load classifier input shape", "error", "classifier")
def _():
    import tempfile

    import keras

    from cxplain.gce import GenerativeCausalExplainer

    gce = trained_gce()
    with tempfile.TemporaryDirectory() as directory:
        gce.save(directory, overwrite=True)
        other = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2, activation="softmax")])
        GenerativeCausalExplainer.load(directory, other)


# -- CEM / CXPlain / Counterfactual -----------------------------------------------------------

@case("Counterfactual wrong feature count", "error", "original")
def _():
    from cem import Counterfactual

    Counterfactual(keras_linear(np.ones((3, 2)), softmax=True), feature_ranges=(0, 1)).generate(
        np.ones((1, 5), np.float32), "other", max_iterations=2)


@case("CXPlain two-output model", "error", "model")
def _():
    import keras

    from cxplain import CXPlain, MLPModelBuilder, ZeroMasking

    inputs = keras.Input((3,))
    model = keras.Model(inputs, [keras.layers.Dense(2)(inputs), keras.layers.Dense(2)(inputs)])
    explainer = CXPlain(model, MLPModelBuilder(num_layers=1, num_units=4, num_epochs=1, batch_size=4),
                        ZeroMasking(), "mean_squared_error", progress=False)
    explainer.fit(X3, np.eye(2)[np.arange(8) % 2])


@case("CEM two-output model", "error", "predict")
def _():
    import keras

    from cem import CEM

    inputs = keras.Input((3,))
    model = keras.Model(inputs, [keras.layers.Dense(2)(inputs), keras.layers.Dense(2)(inputs)])
    CEM(None, model, "PN", (1, 3), max_iterations=2, no_info_val=0.0).explain(X3[:1])


def _table():
    """Short cases: (name, param, call) with a bad value of ``param``; each must raise a named error."""
    from cxplain.gce import GenerativeCausalExplainer
    from deepexplain import metrics
    from deepexplain.explainable import (
        ActivationVisualization,
        Background,
        DeepShap,
        FeatureImportance,
        KernelShap,
        LimeImage,
        LimeTabular,
        LimeText,
        PartialDependence,
        PermutationImportance,
        summarize,
    )

    def ks():
        return KernelShap(sklearn_logistic(), X3)

    def nn():
        return keras_linear(np.ones((3, 2)), softmax=True)

    def lime():
        return LimeTabular(sklearn_logistic(), data=X3, progress=False)

    def text():
        return LimeText(lambda texts: np.stack([[len(t), 1.0] for t in texts]), progress=False)

    def image():
        return LimeImage(lambda x: np.asarray(x).reshape(len(x), -1)[:, :2], segmentation="slic", progress=False)

    picture = np.random.default_rng(0).random((16, 16, 3))
    return [
        ("data", lambda: KernelShap(sklearn_logistic(), np.zeros((0, 3)))),
        ("data", lambda: KernelShap(sklearn_logistic(), np.zeros(3))),
        ("data", lambda: KernelShap(sklearn_logistic(), np.full((2, 3), np.nan))),
        ("data", lambda: KernelShap(sklearn_logistic(), Background(X3, -np.ones(8)))),
        ("link", lambda: KernelShap(sklearn_logistic(), X3, link=None)),
        ("batch_size", lambda: KernelShap(sklearn_logistic(), X3, batch_size=0)),
        ("n_samples", lambda: ks().explain(X3[:1], n_samples=1, progress=False)),
        ("n_samples", lambda: ks().explain(X3[:1], n_samples="many", progress=False)),
        ("l1_reg", lambda: ks().explain(X3[:1], l1_reg=-1, progress=False)),
        ("output", lambda: ks().explain(X3[:1], output=5, progress=False)),
        ("random_state", lambda: ks().explain(X3[:1], random_state=-2, progress=False)),
        ("samples", lambda: ks().explain(np.ones((1, 3, 1)), progress=False)),
        ("model", lambda: KernelShap(lambda r: np.array(["a"] * len(r)), X3)),
        ("model", lambda: KernelShap(lambda r: np.ones((len(r) + 1, 1)), X3)),
        ("model", lambda: KernelShap(lambda r: 1 / 0, X3)),
        ("model", lambda: KernelShap("model", X3)),
        ("k", lambda: summarize(X3, 0)),
        ("max_background", lambda: DeepShap(nn(), X3, max_background=0)),
        ("data", lambda: DeepShap(nn(), np.full((2, 3), np.nan))),
        ("data", lambda: DeepShap(nn(), np.zeros((0, 3)))),
        ("ranked_outputs", lambda: DeepShap(nn(), X3).explain(X3[:1], ranked_outputs=3)),
        ("output", lambda: DeepShap(nn(), X3).explain(X3[:1], output=2)),
        ("X", lambda: DeepShap(nn(), X3).explain([["a", "b", "c"]])),
        ("X", lambda: DeepShap(nn(), X3).explain(np.ones(3))),
        ("num_samples", lambda: lime().explain(X3[0], num_samples=0)),
        ("num_features", lambda: lime().explain(X3[0], num_features=0)),
        ("label", lambda: lime().explain(X3[0], num_samples=20, label=4)),
        ("categorical_features", lambda: LimeTabular(sklearn_logistic(), categorical_features=[5], data=X3)),
        ("kernel_width", lambda: LimeTabular(sklearn_logistic(), kernel_width=-1)),
        ("sample", lambda: lime().explain(np.full(3, np.nan), num_samples=20)),
        ("sample", lambda: lime().explain(["a", "b", "c"], num_samples=20)),
        ("X_train", lambda: LimeTabular(sklearn_logistic()).fit(X3[:1])),
        ("text", lambda: text().explain(42, num_samples=20)),
        ("text", lambda: text().explain("  ,, ", num_samples=20)),
        ("num_samples", lambda: text().explain("a b", num_samples=0)),
        ("label", lambda: text().explain("a b", num_samples=20, label=7)),
        ("split_expression", lambda: LimeText(lambda t: t, split_expression="(")),
        ("image", lambda: image().explain(np.ones((1, 16, 16, 3)), num_samples=10)),
        ("image", lambda: image().explain(np.full((4, 4), "a"), num_samples=10)),
        ("num_samples", lambda: image().explain(picture, num_samples=0)),
        ("segmentation", lambda: LimeImage(lambda x: x, segmentation="watershed")),
        ("segmentation", lambda: LimeImage(lambda x: np.asarray(x).reshape(len(x), -1)[:, :2],
                                           segmentation=lambda im: np.zeros((2, 2), int),
                                           progress=False).explain(picture, num_samples=10)),
        ("label", lambda: image().explain(picture, num_samples=10, label=9)),
        ("layer_names", lambda: ActivationVisualization(nn()).get_activations(X3[:1], ["nope"])),
        ("layer_names", lambda: ActivationVisualization(nn()).get_activations(X3[:1], "dense")),
        ("target_class", lambda: ActivationVisualization(nn()).saliency_map(X3[:1], target_class=5)),
        ("input", lambda: ActivationVisualization(nn()).get_activations(np.ones((1, 5)), [nn().layers[0].name])),
        ("y", lambda: FeatureImportance(nn()).compute_gradient_importance(X3, y=np.arange(8) + 5)),
        ("steps", lambda: FeatureImportance(nn()).compute_integrated_gradients(X3, steps=0)),
        ("X", lambda: FeatureImportance(nn()).compute_gradient_importance(np.ones((2, 5)))),
        ("X", lambda: PermutationImportance(sklearn_logistic(), progress=False).compute(np.ones(8), np.zeros(8))),
        ("y", lambda: PermutationImportance(sklearn_logistic(), progress=False).compute(X3, np.zeros(3))),
        ("y", lambda: PermutationImportance(sklearn_logistic(), progress=False).compute(X3, None)),
        ("feature_idx", lambda: PartialDependence(sklearn_logistic(), progress=False).compute(X3, 7)),
        ("grid_resolution", lambda: PartialDependence(sklearn_logistic(), progress=False).compute(X3, 0,
                                                                                                 grid_resolution=1)),
        ("X", lambda: PartialDependence(nn(), progress=False).compute(np.ones((4, 5)), 0)),
        ("xs", lambda: metrics.completeness(nn(), [["a", "b", "c"]], np.ones((1, 3)))),
        ("baseline", lambda: metrics.completeness(nn(), X3, X3, baseline=np.zeros(4))),
        ("steps", lambda: metrics.deletion(nn(), X3, X3, steps=0)),
        ("noise", lambda: metrics.infidelity(nn(), X3, X3, noise=-1)),
        ("radius", lambda: metrics.max_sensitivity(lambda r, t: r, X3, radius=0)),
        ("n_perturbations", lambda: metrics.infidelity(nn(), X3, X3, n_perturbations=0)),
        ("batch_size", lambda: metrics.max_sensitivity(lambda r, t: r, X3, batch_size=0)),
        ("model", lambda: metrics.completeness("model", X3, X3)),
        ("logits", lambda: metrics.completeness(nn(), X3, X3, logits="yes")),
        ("K", lambda: GenerativeCausalExplainer(gce_classifier(), K=0, L=1)),
        ("L", lambda: GenerativeCausalExplainer(gce_classifier(), K=1, L=-1)),
        ("width", lambda: GenerativeCausalExplainer(gce_classifier(), K=1, L=1, width=0)),
        ("classifier", lambda: GenerativeCausalExplainer(sklearn_logistic(), K=1, L=1)),
        ("train", lambda: GenerativeCausalExplainer(gce_classifier(), K=1, L=1).explain(XG[:1])),
        ("train", lambda: GenerativeCausalExplainer(gce_classifier(), K=1, L=1).information_flow()),
        ("train", lambda: GenerativeCausalExplainer(gce_classifier(), K=1, L=1).save("/tmp/never")),
        ("sweep", lambda: trained_gce().explain(XG[:1], sweep=[])),
        ("dims", lambda: trained_gce().explain(XG[:1], dims=[5])),
        ("x", lambda: trained_gce().explain(np.ones((1, 5)))),
        ("directory", lambda: GenerativeCausalExplainer.load("/nonexistent/gce", gce_classifier())),
        ("encoder", lambda: GenerativeCausalExplainer(gce_classifier(), K=1, L=1, encoder=nn())),
    ]


def _register_table():
    for i, (param, call) in enumerate(_table()):
        case(f"table {i:02d} {param}", "error", param)(call)


TF1_CASES = {
    "closed": """
sess = tf.compat.v1.Session()
X = tf.compat.v1.placeholder(tf.float32, (None, 3))
T = tf.reduce_sum(X * 2.0, axis=1, keepdims=True)
sess.close()
with DeepExplain(session=sess) as de:
    de.explain("saliency", T, X, x)
""",
    "uninitialised": """
sess = tf.compat.v1.Session()
X = tf.compat.v1.placeholder(tf.float32, (None, 3))
T = tf.matmul(X, tf.compat.v1.Variable(np.ones((3, 1), np.float32)))
with DeepExplain(session=sess) as de:
    de.explain("saliency", T, X, x)
""",
    "keras3": """
import keras
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
with DeepExplain(session=tf.compat.v1.Session()) as de:
    de.get_explainer("saliency", model).run(x)
""",
}


def run_tf1(name):
    """Run a TF1 session case in a child process (eager execution disabled); re-raise its error here."""
    import subprocess

    code = ("import numpy as np, tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n"
            "from deepexplain import DeepExplain\nx = np.ones((2, 3), np.float32)\n"
            "try:\n" + "".join(f"    {line}\n" for line in TF1_CASES[name].strip().splitlines()) +
            "except (ValueError, TypeError) as error:\n    print('CLEAR', type(error).__name__, error)\n"
            "except Exception as error:\n    print('INTERNAL', type(error).__name__, str(error)[:200])\n"
            "else:\n    print('NOERROR')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout.strip()
    last = out.splitlines()[-1] if out else "INTERNAL no output"
    if last.startswith("CLEAR"):
        raise ValueError(last.split(" ", 2)[2])
    if last.startswith("INTERNAL"):
        raise RuntimeError(last)


for _name in TF1_CASES:
    case(f"TF1 session: {_name}", "error", "session")(lambda _name=_name: run_tf1(_name))


def classify(function):
    """``(class, detail)`` of one case."""
    name, run, expect, param = function
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run()
        except (ValueError, TypeError) as error:
            if expect == "ok":
                return "internal", f"{type(error).__name__}: {error}"
            message = str(error)
            named = param is None or param in message.split(":")[0] or f"{param}:" in message or f"`{param}`" in message
            if _internal(error):
                return "internal", f"{type(error).__name__}: {message[:200]}"
            return ("clear" if named else "unnamed"), f"{type(error).__name__}: {message[:200]}"
        except Exception as error:  # noqa: BLE001 - the probe classifies every failure
            return "internal", f"{type(error).__name__}: {str(error)[:200]}"
    relevant = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    if expect == "ok":
        return "ok", ""
    if expect == "warn" and any(param is None or param in str(w.message) for w in relevant):
        return "clear", "warning: " + str(relevant[0].message)[:200]
    detail = "; ".join(str(w.message)[:120] for w in relevant)
    return "silent-wrong", f"no error{', warnings: ' + detail if detail else ''}"


def _internal(error):
    """Whether the error was raised inside TensorFlow, Keras, NumPy or scikit-learn rather than by our checks."""
    tb = error.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    ours = ("deepexplain", "cem", "cxplain", "probe_bad_input")
    return last is not None and not any(f"/{part}/" in last or last.endswith(f"{part}.py") for part in ours)


def main(argv):
    _register_table()
    chosen = [c for c in CASES if not argv or any(word in c[0] for word in argv)]
    counts = {}
    for function in chosen:
        kind, detail = classify(function)
        counts[kind] = counts.get(kind, 0) + 1
        if kind not in ("clear", "ok") or os.environ.get("PROBE_VERBOSE"):
            print(f"{kind:13s} {function[0]}: {detail}", flush=True)
    print(f"{len(chosen)} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main(sys.argv[1:])
