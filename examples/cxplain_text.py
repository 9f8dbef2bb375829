"""CXPlain on a text classifier with word dropping, on a small synthetic corpus.

Reviews are random sentences of filler words in which "great"/"awful" decide
the sentiment; a bag-of-words logistic regression is explained by an RNN
explanation model that learns which word's removal hurts the prediction most.

Run: python examples/cxplain_text.py [--out DIR]   (default DIR: out)
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from example_args import output_directory  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from cxplain import CXPlain, RNNModelBuilder, WordDropMasking  # noqa: E402
from cxplain.plotting import plot_text_attribution  # noqa: E402

FILLER = "the a film plot actor was is very and but it scene story music long".split()
VOCABULARY = ["<pad>"] + FILLER + ["great", "awful"]
LENGTH = 12


def corpus(n, rng):
    """Token-id sentences (0-padded) with one sentiment word; label 1 for "great"."""
    tokens = np.zeros((n, LENGTH), dtype=np.int32)
    labels = rng.integers(0, 2, size=n)
    for row, label in zip(tokens, labels):
        length = rng.integers(5, LENGTH + 1)
        row[:length] = rng.integers(1, len(FILLER) + 1, size=length)
        row[rng.integers(0, length)] = VOCABULARY.index("great" if label else "awful")
    return tokens, labels


def bag_of_words(tokens):
    counts = np.zeros((len(tokens), len(VOCABULARY)), dtype=np.float32)
    np.add.at(counts, (np.arange(len(tokens))[:, None], tokens), 1)
    return counts[:, 1:]


def main(output):
    rng = np.random.default_rng(0)
    tokens, labels = corpus(1000, rng)
    classifier = LogisticRegression().fit(bag_of_words(tokens[:800]), labels[:800])
    explained = lambda batch: classifier.predict_proba(bag_of_words(np.asarray(batch, dtype=np.int64)))  # noqa: E731

    builder = RNNModelBuilder(with_embedding=True, vocabulary_size=len(VOCABULARY), num_units=16, num_epochs=30)
    explainer = CXPlain(explained, builder, WordDropMasking(), "categorical_crossentropy", random_state=0)
    explainer.fit(tokens[:800], labels[:800])
    attributions = explainer.explain(tokens[800:])
    sentiment = np.isin(tokens[800:], [VOCABULARY.index("great"), VOCABULARY.index("awful")])
    hit = np.mean(sentiment[np.arange(200), np.argmax(attributions, axis=1)])
    print(f"the sentiment word gets the largest attribution in {hit:.0%} of held-out sentences")

    words = [VOCABULARY[t] for t in tokens[800] if t]
    figure = plot_text_attribution(words, attributions[0], title="CXPlain word attributions")
    figure.savefig(output / "cxplain_text.png", dpi=120, bbox_inches="tight")
    print(f"wrote {output / 'cxplain_text.png'}")


if __name__ == "__main__":
    main(output_directory(__doc__.splitlines()[0]))
