"""Every mistake a user can make is reported with the parameter's name, before TensorFlow or NumPy see it."""
import numpy as np
import pytest
from cem_models import linear_probabilities

from cem import CEM


def make(predict=linear_probabilities, **overrides):
    params = dict(mode="PN", shape=(1, 4), no_info_val=-1.0, max_iterations=5, c_steps=1)
    params.update(overrides)
    return CEM(None, predict, params.pop("mode"), params.pop("shape"), **params)


@pytest.mark.parametrize("overrides, match", [
    (dict(mode="PX"), "mode"),
    (dict(mode=None), "mode"),
    (dict(shape=(4,)), "shape"),
    (dict(shape="abc"), "shape"),
    (dict(shape=(True, 4)), "shape"),
    (dict(feature_range=(np.zeros(3), np.ones(3))), r"feature_range\[0\]"),
    (dict(feature_range=(0.0,)), "feature_range"),
    (dict(feature_range=(1.0, 0.0)), "feature_range"),
    (dict(eps=(1e-3, np.ones(5))), r"eps\[1\]"),
    (dict(eps=1e-3), "eps"),
    (dict(eps=(0.0, 1e-3)), "eps"),
    (dict(clip=(1.0, -1.0)), "clip"),
    (dict(kappa=-1.0), "kappa"),
    (dict(kappa=True), "kappa"),
    (dict(kappa=1j), "kappa"),
    (dict(max_iterations=0), "max_iterations"),
    (dict(max_iterations=True), "max_iterations"),
    (dict(c_steps=1.5), "c_steps"),
    (dict(c_init="10"), "c_init"),
    (dict(learning_rate_init=0.0), "learning_rate_init"),
    (dict(update_num_grad=0), "update_num_grad"),
    (dict(no_info_val=np.zeros(3)), "no_info_val"),
    (dict(gamma=1.0), "gamma.*ae_model"),
])
def test_invalid_parameters(overrides, match):
    with pytest.raises(ValueError, match=match):
        make(**overrides)


@pytest.mark.parametrize("overrides, match", [
    (dict(no_info_val="-1"), "no_info_val"),
    (dict(no_info_val=True), "no_info_val"),
    (dict(no_info_val=np.array([1j, 0, 0, 0])), "no_info_val"),
    (dict(feature_range=("0", "1")), r"feature_range\[0\]"),
    (dict(eps=(1e-3, "1e-3")), r"eps\[1\]"),
])
def test_strings_booleans_and_complex_numbers_are_rejected_not_converted(overrides, match):
    with pytest.raises(TypeError, match=match):
        make(**overrides)


def test_black_box_autoencoder_and_non_callable_predict():
    with pytest.raises(TypeError, match="ae_model"):
        make(ae_model=lambda x: x, gamma=1.0)
    with pytest.raises(TypeError, match="predict"):
        make(np.zeros(3))


@pytest.mark.parametrize("predict", ["black box", "autodiff"])
def test_autoencoder_with_another_output_shape(predict, mlp, iris):
    import keras

    X, _ = iris
    ae = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model = linear_probabilities if predict == "black box" else mlp
    message = r"ae_model: expected an autoencoder returning its input's shape \(4,\).*\(3,\)"
    with pytest.raises(ValueError, match=message):
        make(model, gamma=1.0, ae_model=ae).explain(X[:2])


def test_explain_errors(iris):
    X, _ = iris
    cem = make()
    with pytest.raises(ValueError, match="X: expected rows of the feature shape"):
        cem.explain(X[:2, :3])
    with pytest.raises(ValueError, match="Y"):
        cem.explain(X[:2], Y=np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="Y"):
        cem.explain(X[:2], Y=np.ones((2, 3)))
    with pytest.raises(ValueError, match="X: expected values inside feature_range"):
        make(feature_range=(-1.0, 1.0)).explain(X[:2] * 10)
    with pytest.raises(ValueError, match="no_info_val: expected values inside feature_range"):
        make(mode="PP", feature_range=(-0.5, 3.0)).explain(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"eps\[0\]"):
        make(eps=(np.ones(4) * 1e-3, 1e-3)).explain(X[:2])
    with pytest.raises(TypeError, match="X"):
        cem.explain("not an array")
    with pytest.raises(TypeError, match="X"):
        cem.explain(X[:2].astype(str))
    with pytest.raises(TypeError, match="X"):
        cem.explain(X[:2] > 0)
    with pytest.raises(TypeError, match="X"):
        cem.explain(X[:2] + 1j)
    with pytest.raises(ValueError, match="X: expected finite"):
        cem.explain(np.full((1, 4), np.nan))
    with pytest.raises(TypeError, match="verbose"):
        cem.explain(X[:2], verbose="yes")


def test_missing_or_empty_fit_data(iris):
    X, _ = iris
    cem = make(no_info_val=None)
    with pytest.raises(ValueError, match="no_info_val.*call fit"):
        cem.explain(X[:1])
    with pytest.raises(ValueError, match="no_info_type"):
        cem.fit(X, no_info_type="mode")
    with pytest.raises(ValueError, match="train_data"):
        cem.fit(X[:, :2])
    with pytest.raises(ValueError, match=r"train_data: expected at least one row.*\(0, 4\)"):
        cem.fit(X[:0])
    assert not hasattr(cem, "no_info_val_")  # no NaN no_info_val_ left behind


@pytest.mark.parametrize("predict, match", [
    (lambda x: x[:, :3], "predict: expected class probabilities"),  # scores, not probabilities
    (lambda x: np.ones((len(x), 3)), "predict: expected class probabilities"),  # rows do not sum to 1
    (lambda x: np.full(len(x), 0.5), r"predict: the model returned 1 output per row; expected class probabilities"),
    (lambda x: np.full((len(x) + 1, 2), 0.5),
     r"predict: expected outputs .* got shape \(3, 2\) for a batch of 2 samples"),
    (lambda x: np.full((len(x), 2), "0.5"), "predict: expected numeric outputs"),
])
def test_predict_must_return_class_probabilities(predict, match, iris):
    X, _ = iris
    with pytest.raises((ValueError, TypeError), match=match):
        make(predict).explain(X[:2])


def test_nan_output_of_the_model_warns_and_is_never_a_solution(iris):
    X, _ = iris

    def nan_away_from_x0(x):
        probs = linear_probabilities(x)
        probs[np.abs(x - X[:2][:1]).max(1) > 1e-6] = np.nan
        return probs

    with pytest.warns(RuntimeWarning, match="predict: the model returned NaN"):
        result = make(nan_away_from_x0, max_iterations=20, c_init=100.0).explain(X[:1])
    assert not result["found"].any()
