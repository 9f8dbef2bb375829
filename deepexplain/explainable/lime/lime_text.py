"""LIME for text (Ribeiro et al., KDD 2016): words removed at random, as lime's LimeTextExplainer.

The text is split into words by ``split_expression`` (the separators are kept). With ``bow``
a feature is a distinct word and removing it deletes every occurrence; otherwise a feature is
one position, and a removed word is replaced by ``mask_string``. Each sample after the first
removes k distinct features, k uniform in 1..d; proximity is 100 × the cosine distance of the
kept-features vector to all-kept, with lime's kernel width 25. The model takes a batch of
strings (a 1-D object array, or a list for models that need one: see ``Predictor``).
"""
import re
import textwrap

import matplotlib.pyplot as plt
import numpy as np

from ...batching import check_memory
from ...explanation import Explanation
from ...keras_models import is_keras_model
from ...models import Predictor, predict_streamed
from ...validation import describe, positive_float, random_generator
from .lime_surrogate import (
    check_class_names,
    check_feature_selection,
    check_sampling,
    cosine_distances_to_all_on,
    explained_label,
    exponential_kernel,
    fit_surrogate,
    label_name,
    plot_weights,
)


def check_text_model(model):
    """``model``, refused (TypeError naming ``model``) when it is a Keras model whose input is numeric:
    LimeText feeds it a batch of strings."""
    inputs = getattr(model, "inputs", None) if is_keras_model(model) else None
    if inputs:
        dtype = getattr(inputs[0].dtype, "name", inputs[0].dtype)
        if str(dtype) != "string":
            raise TypeError(f"model: expected a model taking a batch of strings (e.g. a Keras model with a string "
                            f"Input and a TextVectorization layer, or a scikit-learn text pipeline), got a Keras "
                            f"model whose input is {dtype} of shape {tuple(inputs[0].shape)}")
    return model


def split_words(text, pattern):
    """``(pieces, is_word)``: ``text`` cut into alternating words and separators (matches of
    ``pattern``), so that ``"".join(pieces) == text``; empty words are dropped."""
    pieces, is_word, position = [], [], 0
    for match in pattern.finditer(text):
        if match.start() == match.end():
            continue
        if match.start() > position:
            pieces.append(text[position:match.start()])
            is_word.append(True)
        pieces.append(match.group())
        is_word.append(False)
        position = match.end()
    if position < len(text):
        pieces.append(text[position:])
        is_word.append(True)
    return pieces, np.array(is_word, dtype=bool)


class LimeText:
    """Which words of a text make the model predict a class.

    Args:
        model: text classifier taking a batch of strings (e.g. a scikit-learn pipeline with
            ``predict_proba``, a Keras model starting with ``TextVectorization``, a callable).
        class_names: one name per model output (optional).
        bow: features are distinct words (True) or word positions (False).
        split_expression: regular expression of the separators between words.
        mask_string: replacement of removed words when ``bow=False`` (lime: "UNKWORDZ").
        kernel_width: proximity kernel width on 100 × cosine distance (lime: 25).
        feature_selection: as ``LimeTabular``.
        batch_size: most strings per model call; progress: show a progress bar.
        random_state: the explainer's default for ``explain``'s ``random_state`` (used when the
            call gives None): None (fresh draws), an int (the same draws on every call) or a
            ``numpy.random.Generator``.
        session: for a tf_keras model in TF1 session-style code, its ``tf.compat.v1.Session``
            (default: the default session when eager execution is disabled).

    ``explain(text)`` returns an ``Explanation`` (a dict with attribute access and ``meta``):
    ``prediction``, ``label``, ``class_name``, ``words`` and ``word_weights`` (selected words by
    decreasing |weight|), ``word_spans`` (for each selected word, the ``(start, end)`` character
    spans of the occurrences it stands for), ``text``,
    ``intercept``, ``score`` and ``local_prediction``.

    Example::

        explainer = LimeText(pipeline, class_names=["negative", "positive"])
        explanation = explainer.explain("a great and moving film", num_features=5, random_state=0)
        figure = explainer.plot_explanation(explanation)
    """

    def __init__(self, model, class_names=None, bow=True, split_expression=r"\W+", mask_string="UNKWORDZ",
                 kernel_width=25.0, feature_selection="auto", batch_size=None, progress=True, session=None,
                 random_state=None):
        self.predictor = Predictor(check_text_model(model), batch_size, session)
        random_generator("random_state", random_state)
        self.random_state = random_state
        self.class_names = check_class_names(class_names)
        self.bow = bool(bow)
        try:
            self.pattern = re.compile(split_expression)
        except (TypeError, re.error) as error:
            raise ValueError(f"split_expression: expected a regular expression, got {describe(split_expression)} "
                             f"({error})") from None
        if not isinstance(mask_string, str):
            raise TypeError(f"mask_string: expected a string, got {describe(mask_string)}")
        self.mask_string = mask_string
        self.kernel_width = positive_float("kernel_width", kernel_width)
        self.feature_selection = check_feature_selection(feature_selection)
        self.progress = progress

    def explain(self, text, num_features=10, num_samples=5000, label=None, random_state=None):
        """Explain the model's output ``label`` (default: the largest output) for ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"text: expected a string, got {describe(text)}")
        random_state = self.random_state if random_state is None else random_state
        num_features, num_samples, rng = check_sampling(num_features, num_samples, random_state, "the text")
        pieces, is_word = split_words(text, self.pattern)
        words = [piece for piece, word in zip(pieces, is_word) if word]
        if not words:
            raise ValueError(f"text: no words found with split_expression {self.pattern.pattern!r}")
        vocabulary = list(dict.fromkeys(words)) if self.bow else words
        feature_of_word = [vocabulary.index(w) for w in words] if self.bow else list(range(len(words)))
        feature_of_piece = np.full(len(pieces), -1)
        feature_of_piece[is_word] = feature_of_word
        n_features = len(vocabulary)
        check_memory("num_samples", num_samples, num_samples * (40 * n_features + 64), "perturbed texts")

        removed_counts = rng.integers(1, n_features + 1, size=num_samples)
        ranks = np.argsort(np.argsort(rng.random((num_samples, n_features)), axis=1), axis=1)
        kept = (ranks >= removed_counts[:, None]).astype(np.float64)
        kept[0] = 1.0
        replacement = "" if self.bow else self.mask_string
        pieces_array = np.array(pieces, dtype=object)

        def texts(start, stop):
            keep_piece = np.ones((stop - start, len(pieces)), dtype=bool)
            keep_piece[:, is_word] = kept[start:stop][:, feature_of_piece[is_word]] > 0
            return np.array(["".join(np.where(row, pieces_array, replacement)) for row in keep_piece], dtype=object)

        outputs = predict_streamed(self.predictor, num_samples, texts, self.progress, "LimeText")
        label = explained_label(label, outputs[0])
        distances = 100 * cosine_distances_to_all_on(kept)
        surrogate = fit_surrogate(kept, outputs[:, label], exponential_kernel(distances, self.kernel_width),
                                  num_features, self.feature_selection)
        starts = np.cumsum([0] + [len(piece) for piece in pieces])
        spans = [[(int(starts[p]), int(starts[p + 1])) for p in np.flatnonzero(feature_of_piece == f)]
                 for f in surrogate["features"]]
        params = {"num_features": num_features, "num_samples": num_samples, "label": label,
                  "random_state": random_state, "bow": self.bow, "kernel_width": self.kernel_width}
        return Explanation({
            "prediction": outputs[0],
            "label": label,
            "class_name": label_name(self.class_names, label),
            "words": [vocabulary[f] for f in surrogate["features"]],
            "word_weights": surrogate["weights"],
            "word_spans": spans,
            "text": text,
            "intercept": surrogate["intercept"],
            "score": surrogate["score"],
            "local_prediction": surrogate["local_prediction"],
        }, "LimeText", params=params, model=self.predictor.model, output_names=self.class_names)

    def plot_explanation(self, explanation, width=90, figsize=(9, 6)):
        """The text with the selected words highlighted (green for the class, red against it,
        stronger for larger weights) above the bars of their weights. Returns the figure."""
        text = explanation["text"]
        weights = np.asarray(explanation["word_weights"], dtype=float)
        limit = np.abs(weights).max() if weights.size and np.abs(weights).max() > 0 else 1.0
        colour = np.zeros(len(text))
        for spans, weight in zip(explanation["word_spans"], weights):
            for start, end in spans:
                colour[start:end] = weight / limit
        lines = textwrap.wrap(text.replace("\n", " "), width=width, drop_whitespace=False) or [""]
        figure = plt.figure(figsize=figsize)
        top = figure.add_axes([0.03, 0.55, 0.94, 0.38])
        bottom = figure.add_axes([0.3, 0.08, 0.62, 0.38])
        fontsize = 0.94 * figsize[0] * 72 / width / 0.6  # a monospace character is ~0.6 em wide
        top.set_xlim(0, width)
        top.set_ylim(max(len(lines), 4), 0)
        top.axis("off")
        offset = 0
        for row, line in enumerate(lines):
            for column in range(len(line)):
                strength = colour[offset + column]
                if strength != 0:
                    top.add_patch(plt.Rectangle((column, row + 0.1), 1, 0.8, linewidth=0,
                                                color="tab:green" if strength > 0 else "tab:red",
                                                alpha=0.1 + 0.7 * abs(strength)))
            drawn = top.text(0, row + 0.5, line, family="monospace", va="center", fontsize=fontsize)
            offset += len(line)
        # one data unit per character: measure the rendered width of the last line
        renderer = figure.canvas.get_renderer()
        if line:
            char_width = drawn.get_window_extent(renderer).width / len(line)
            top.set_xlim(0, top.get_window_extent(renderer).width / char_width)
        top.set_title(f"LIME for {explanation['class_name']}", fontsize=10)
        plot_weights(bottom, explanation["words"], weights, f"surrogate R² = {explanation['score']:.2f}")
        return figure
