"""Every mistake a user can make is reported with the parameter's name."""
import numpy as np
import pytest

from cem import CEM


def make(predict, **overrides):
    params = dict(mode="PN", shape=(1, 4), no_info_val=-1.0, max_iterations=5, c_steps=1)
    params.update(overrides)
    return CEM(None, predict, params.pop("mode"), params.pop("shape"), **params)


@pytest.mark.parametrize("overrides, match", [
    (dict(mode="PX"), "mode"),
    (dict(mode=None), "mode"),
    (dict(shape=(4,)), "shape"),
    (dict(shape="abc"), "shape"),
    (dict(feature_range=(np.zeros(3), np.ones(3))), r"feature_range\[0\]"),
    (dict(feature_range=(0.0,)), "feature_range"),
    (dict(feature_range=(1.0, 0.0)), "feature_range"),
    (dict(eps=(1e-3, np.ones(5))), r"eps\[1\]"),
    (dict(eps=1e-3), "eps"),
    (dict(eps=(0.0, 1e-3)), "eps"),
    (dict(clip=(1.0, -1.0)), "clip"),
    (dict(kappa=-1.0), "kappa"),
    (dict(max_iterations=0), "max_iterations"),
    (dict(c_steps=1.5), "c_steps"),
    (dict(update_num_grad=0), "update_num_grad"),
    (dict(no_info_val=np.zeros(3)), "no_info_val"),
])
def test_invalid_parameters(overrides, match, logistic):
    with pytest.raises(ValueError, match=match):
        make(logistic.predict_proba, **overrides)


def test_black_box_autoencoder_and_non_callable_predict(logistic):
    with pytest.raises(TypeError, match="ae_model"):
        make(logistic.predict_proba, ae_model=lambda x: x)
    with pytest.raises(TypeError, match="predict"):
        make(np.zeros(3))


def test_explain_errors(iris, logistic):
    X, _ = iris
    cem = make(logistic.predict_proba)
    with pytest.raises(ValueError, match="shape"):
        cem.explain(X[:2, :3])
    with pytest.raises(ValueError, match="Y"):
        cem.explain(X[:2], Y=np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="Y"):
        cem.explain(X[:2], Y=np.ones((2, 3)))
    with pytest.raises(ValueError, match="X"):
        make(logistic.predict_proba, feature_range=(-1.0, 1.0)).explain(X[:2] * 10)
    with pytest.raises(ValueError, match=r"eps\[0\]"):
        make(logistic.predict_proba, eps=(np.ones(4) * 1e-3, 1e-3)).explain(X[:2])
    with pytest.raises(TypeError, match="X"):
        cem.explain("not an array")


def test_missing_no_info_val_says_to_call_fit(iris, logistic):
    X, _ = iris
    cem = make(logistic.predict_proba, no_info_val=None)
    with pytest.raises(ValueError, match="no_info_val.*call fit"):
        cem.explain(X[:1])
    with pytest.raises(ValueError, match="no_info_type"):
        cem.fit(X, no_info_type="mode")
    with pytest.raises(ValueError, match="train_data"):
        cem.fit(X[:, :2])


@pytest.mark.parametrize("predict", [
    lambda x: x[:, :3],  # scores, not probabilities
    lambda x: np.ones((len(x), 3)),  # rows do not sum to 1
    lambda x: np.full(len(x), 0.5),  # one column
])
def test_predict_must_return_class_probabilities(predict, iris):
    X, _ = iris
    with pytest.raises(ValueError, match="predict: expected class probabilities"):
        make(predict).explain(X[:2])
