"""Clear errors for mistakes at the public boundary."""
import keras
import numpy as np
import pytest

from cxplain import CXPlain, MLPModelBuilder, UNetModelBuilder, WordDropMasking, ZeroMasking


def _explainer(model, **kwargs):
    builder = kwargs.pop("builder", MLPModelBuilder(num_epochs=1))
    masking = kwargs.pop("masking", ZeroMasking())
    return CXPlain(model, builder, masking, kwargs.pop("loss", "categorical_crossentropy"), progress=False, **kwargs)


def test_explain_predict_and_score_need_fit(tabular):
    X, y, model = tabular
    for call in (lambda e: e.explain(X), lambda e: e.predict(X), lambda e: e.score(X, y), lambda e: e.save("unused")):
        with pytest.raises(ValueError, match="not fitted"):
            call(_explainer(model))


@pytest.mark.parametrize("level", [0, 1, 1.01, -0.01, "0.9", True])
def test_confidence_level_must_be_inside_0_1(ensemble, tabular, level):
    with pytest.raises(ValueError, match="confidence_level"):
        ensemble.explain(tabular[0][:3], confidence_level=level)


def test_samples_must_have_the_fitted_shape(ensemble):
    with pytest.raises(ValueError, match=r"X: expected samples of shape \(6,\)"):
        ensemble.explain(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="X: expected an array with a leading batch dimension"):
        ensemble.explain(np.zeros(6))
    with pytest.raises(ValueError, match="X: expected finite values"):
        ensemble.explain(np.full((2, 6), np.nan))


def test_labels_must_match_samples_and_outputs(tabular):
    X, y, model = tabular
    with pytest.raises(ValueError, match="y: expected 50 labels"):
        _explainer(model).fit(X[:50], y[:40])
    with pytest.raises(ValueError, match=r"y: expected shape \(n,\) or \(n, 2\)"):
        _explainer(model).fit(X[:50], np.zeros((50, 3)))


def test_loss_must_give_one_value_per_sample(tabular):
    X, y, model = tabular
    with pytest.raises(ValueError, match="loss: expected one loss value per sample"):
        _explainer(model, loss=keras.losses.CategoricalCrossentropy()).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="unknown name"):
        _explainer(model, loss="no_such_loss").fit(X[:50], y[:50])
    with pytest.raises(TypeError, match="loss: expected a Keras loss"):
        _explainer(model, loss=3).fit(X[:50], y[:50])


def test_parameters_are_checked_in_fit(tabular):
    X, y, model = tabular
    with pytest.raises(ValueError, match="num_models: expected a positive integer"):
        _explainer(model, num_models=0).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="downsample_factors"):
        _explainer(model, downsample_factors=(2, 2)).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="downsample_factors"):
        _explainer(model, downsample_factors=0).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="validation_fraction"):
        _explainer(model, builder=MLPModelBuilder(validation_fraction=1.5)).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="masked_data: expected"):
        _explainer(model).fit(X[:50], y[:50], masked_data=(np.zeros((50, 2)), np.zeros((50, 5, 2))))


def test_builders_and_masking_refuse_unsuitable_samples(tabular):
    X, y, model = tabular
    with pytest.raises(ValueError, match="UNetModelBuilder expects images"):
        _explainer(model, builder=UNetModelBuilder(num_epochs=1)).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="WordDropMasking removes single tokens"):
        _explainer(model, masking=WordDropMasking(), downsample_factors=2).fit(X[:50], y[:50])


def test_explained_model_must_be_callable(tabular):
    X, y, _ = tabular
    with pytest.raises(TypeError, match="explained_model: expected"):
        _explainer(object()).fit(X[:50], y[:50])
