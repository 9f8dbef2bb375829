"""One vocabulary: ``random_state`` everywhere randomness is drawn; the old name ``seed`` still
works, gives the same numbers and warns (DeprecationWarning); both at once is an error."""
import numpy as np
import pytest

import deepexplain
from deepexplain import Explanation, metrics
from deepexplain.explainable import DeepShap
from deepexplain.validation import aliased

RNG = np.random.default_rng(5)
XS = RNG.normal(size=(4, 5)).astype(np.float32)


def relu_net():
    import keras

    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2)])
    rng = np.random.default_rng(0)
    weights = (rng.normal(size=(5, 3)), np.zeros(3), rng.normal(size=(3, 2)), np.zeros(2))
    model.set_weights([w.astype(np.float32) for w in weights])
    return model


def test_aliased_takes_one_of_the_two_names():
    assert aliased("random_state", 3, "seed", None) == 3
    with pytest.warns(DeprecationWarning, match="seed is deprecated: pass random_state=4"):
        assert aliased("random_state", None, "seed", 4) == 4
    with pytest.raises(TypeError, match="random_state: got both random_state=int 1 and its old name seed=int 2"):
        aliased("random_state", 1, "seed", 2)


def test_deep_shap_seed_is_random_state():
    model, data = relu_net(), RNG.normal(size=(40, 5)).astype(np.float32)
    new = DeepShap(model, data, max_background=7, random_state=1)
    with pytest.warns(DeprecationWarning, match="seed"):
        old = DeepShap(model, data, max_background=7, seed=1)
    np.testing.assert_array_equal(new.data, old.data)
    np.testing.assert_array_equal(new.explain(XS).values, old.explain(XS).values)
    assert not np.array_equal(DeepShap(model, data, max_background=7, random_state=2).data, new.data)


def test_metrics_seed_is_random_state():
    model = relu_net()
    attributions = deepexplain.explain("grad*input", model, XS, np.eye(2, dtype=np.float32)[[0, 1, 0, 1]])
    targets = np.array([0, 1, 0, 1])
    for metric, extra in ((metrics.sensitivity_n, {"ns": [1, 2], "n_subsets": 6}),
                          (metrics.infidelity, {"n_perturbations": 5})):
        new = metric(model, XS, attributions, targets, random_state=7, **extra)
        with pytest.warns(DeprecationWarning, match="seed"):
            old = metric(model, XS, attributions, targets, seed=7, **extra)
        for a, b in zip(*(r.values() if isinstance(r, dict) else [r] for r in (new, old))):
            np.testing.assert_array_equal(a, b)
    sensitivity = metrics.sensitivity_n(model, XS, attributions, targets, ns=[1], n_subsets=4, random_state=0)
    curves = metrics.deletion(model, XS, attributions, targets, steps=5)
    assert isinstance(sensitivity, Explanation) and sensitivity.meta["method"] == "sensitivity_n"
    assert curves.meta["method"] == "deletion" and curves.auc.shape == (4,)


def test_lime_random_state_in_the_constructor_or_the_call():
    from deepexplain.explainable import LimeText

    def model(texts):
        good = np.array([text.count("good") for text in texts], float)
        return np.stack([1 / (1 + good), good / (1 + good)], axis=1)

    text = "a good film, good acting and a dull plot"
    fixed = LimeText(model, random_state=3, progress=False)
    first, again = fixed.explain(text, num_samples=200), fixed.explain(text, num_samples=200)
    by_call = LimeText(model, progress=False).explain(text, num_samples=200, random_state=3)
    np.testing.assert_array_equal(first.word_weights, again.word_weights)
    np.testing.assert_array_equal(first.word_weights, by_call.word_weights)
    assert first.meta["params"]["random_state"] == 3
    with pytest.raises(ValueError, match="random_state: expected None, a non-negative integer"):
        LimeText(model, random_state=-1)
