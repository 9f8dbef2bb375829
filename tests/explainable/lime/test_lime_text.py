"""LimeText: word weights of bag-of-words linear models, lime's perturbations, seeds, errors."""
import re

import matplotlib
import numpy as np
import pytest
from fixed_models import kinds

from deepexplain.explainable import LimeText
from deepexplain.explainable.lime.lime_text import split_words

VOCABULARY = ["great", "bad", "fantastic", "plot"]
WEIGHTS = np.array([2.0, -2.5, 1.5, 0.3])
TEXT = "This movie was fantastic! Great acting, bad plot."  # 'Great' is lowered by the models


def counting_model(kind):
    """A regressor: Σ weight(word) · count(word) over the lower-cased words of each text."""
    if kind == "sklearn":
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LinearRegression
        from sklearn.pipeline import make_pipeline

        regression = LinearRegression()
        regression.coef_, regression.intercept_ = WEIGHTS, 0.0
        return make_pipeline(CountVectorizer(vocabulary=VOCABULARY), regression)
    keras = __import__("keras" if kind == "keras3" else "tf_keras")
    text = keras.Input(shape=(), dtype="string")
    counts = keras.layers.TextVectorization(vocabulary=VOCABULARY, output_mode="count")(text)
    model = keras.Model(text, keras.layers.Dense(1)(counts))
    model.layers[-1].set_weights([np.r_[0.0, WEIGHTS][:, None].astype(np.float32), np.zeros(1, np.float32)])
    return model


@kinds
def test_a_linear_bag_of_words_model_gets_its_weights_back(kind):
    explainer = LimeText(counting_model(kind), progress=False)
    explanation = explainer.explain(TEXT, num_features=4, num_samples=2000, random_state=0)
    expected = {"fantastic": 1.5, "Great": 2.0, "bad": -2.5, "plot": 0.3}
    assert explanation["words"] == sorted(expected, key=lambda word: -abs(expected[word]))
    np.testing.assert_allclose(explanation["word_weights"], [expected[w] for w in explanation["words"]], rtol=2e-2)
    assert explanation["score"] > 0.999
    np.testing.assert_allclose(explanation["prediction"], [1.5 + 2.0 - 2.5 + 0.3], rtol=1e-5)
    spans = dict(zip(explanation["words"], explanation["word_spans"]))
    assert [TEXT[a:b] for a, b in spans["bad"]] == ["bad"]


def test_bag_of_words_removes_every_occurrence_and_positions_are_separate_features():
    seen = []

    def model(texts):
        seen.extend(texts)
        return np.array([[t.split().count("great") * 1.0] for t in texts])

    text = "great fun great with some other words"
    bow = LimeText(model, progress=False).explain(text, num_samples=1000, random_state=0)
    assert seen[0] == text and all(t.count("great") in (0, 2) for t in seen)
    np.testing.assert_allclose(bow["word_weights"][bow["words"].index("great")], 2.0, rtol=2e-2)
    seen.clear()
    positions = LimeText(model, bow=False, mask_string="UNK", progress=False).explain(text, num_samples=1000,
                                                                                     random_state=0)
    assert all(len(t.split()) == 7 for t in seen)
    assert all(1 <= t.count("UNK") <= 7 for t in seen[1:])
    assert positions["words"].count("great") == 2
    np.testing.assert_allclose(positions["word_weights"][:2], [1.0, 1.0], rtol=2e-2)


def test_split_words_keeps_every_character():
    pieces, is_word = split_words(" Hi, there--you! ", re.compile(r"\W+"))
    assert "".join(pieces) == " Hi, there--you! "
    assert [p for p, w in zip(pieces, is_word) if w] == ["Hi", "there", "you"]


def test_the_same_random_state_repeats_exactly():
    explainer = LimeText(counting_model("sklearn"), progress=False)
    first, again = (explainer.explain(TEXT, num_samples=500, random_state=3) for _ in range(2))
    np.testing.assert_array_equal(first["word_weights"], again["word_weights"])
    assert first["words"] == again["words"]


def test_plot_highlights_the_words():
    explainer = LimeText(counting_model("sklearn"), class_names=["score"], progress=False)
    explanation = explainer.explain(TEXT, num_features=3, num_samples=300, random_state=0)
    figure = explainer.plot_explanation(explanation)
    assert isinstance(figure, matplotlib.figure.Figure)
    highlighted = sum(len(range(a, b)) for spans in explanation["word_spans"] for a, b in spans)
    assert len(figure.axes[0].patches) == highlighted


@pytest.mark.parametrize("arguments, message", [
    (dict(split_expression="("), "split_expression"),
    (dict(mask_string=3), "mask_string"),
    (dict(kernel_width=-1), "kernel_width"),
    (dict(feature_selection="x"), "feature_selection"),
    (dict(class_names=5), "class_names"),
])
def test_bad_constructor_arguments_are_named(arguments, message):
    with pytest.raises((ValueError, TypeError), match=message):
        LimeText(counting_model("sklearn"), **arguments)


@pytest.mark.parametrize("arguments, message", [
    (dict(text=["a list"]), "text"),
    (dict(text=" ,. "), "text"),
    (dict(num_samples=1), "num_samples"),
    (dict(num_features=0), "num_features"),
])
def test_bad_explain_arguments_are_named(arguments, message):
    arguments.setdefault("text", TEXT)
    with pytest.raises((ValueError, TypeError), match=message):
        LimeText(counting_model("sklearn"), progress=False).explain(**arguments)

