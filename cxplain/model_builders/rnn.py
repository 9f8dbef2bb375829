"""A recurrent explanation model for sequences: text (token ids) and time series."""


from deepexplain.runtime import static_shape
from deepexplain.validation import boolean, describe, is_integer, positive_int

from .base import BaseModelBuilder, block_average, dense_stack


class RNNModelBuilder(BaseModelBuilder):
    """Optional Embedding → ``num_layers`` × bidirectional GRU(``num_units``) → one score per time step.

    Samples are ``(length,)`` token ids (``with_embedding=True`` and
    ``vocabulary_size`` > the largest id) or ``(length, channels)`` series.
    Scores are averaged over blocks of ``downsample_factors`` time steps.
    """

    def __init__(self, num_layers=1, num_units=32, activation="relu", with_bn=False, p_dropout=0.0,
                 with_embedding=False, vocabulary_size=None, embedding_dimension=16,
                 early_stopping_patience=12, batch_size=64, num_epochs=100, validation_fraction=0.1,
                 learning_rate=1e-3, verbose=0):
        super().__init__(early_stopping_patience, batch_size, num_epochs, validation_fraction, learning_rate, verbose)
        self.num_layers = num_layers
        self.num_units = num_units
        self.activation = activation
        self.with_bn = with_bn
        self.p_dropout = p_dropout
        self.with_embedding = with_embedding
        self.vocabulary_size = vocabulary_size
        self.embedding_dimension = embedding_dimension
        self.check_params()

    def check_params(self):
        super().check_params()
        self.check_layers(min_layers=1)
        if boolean("with_embedding", self.with_embedding):
            if not is_integer(self.vocabulary_size) or self.vocabulary_size < 2:
                raise ValueError("vocabulary_size: with_embedding=True needs the number of token ids, an integer >= 2 "
                                 f"larger than the largest id, got {describe(self.vocabulary_size)}")
            positive_int("embedding_dimension", self.embedding_dimension)
        return self

    def check_samples(self, X):
        if not self.with_embedding:
            if X.ndim > 3:
                raise ValueError(
                    "X: RNNModelBuilder expects sequences of shape (n, length) or (n, length, channels), "
                    f"got {describe(X)}"
                )
            return
        if X.ndim > 3 or (X.ndim == 3 and X.shape[2] != 1):
            raise ValueError("X: RNNModelBuilder(with_embedding=True) expects token ids of shape (n, length) or "
                             f"(n, length, 1), got {describe(X)}")
        if X.dtype.kind not in "iu":
            raise TypeError(f"X: RNNModelBuilder(with_embedding=True) expects integer token ids, got {describe(X)}")
        if X.size and (X.min() < 0 or X.max() >= self.vocabulary_size):
            raise ValueError(f"X: expected token ids in [0, vocabulary_size={self.vocabulary_size}), "
                             f"got ids from {X.min()} to {X.max()}")

    def scores(self, keras, inputs, grid, factors):
        shape = static_shape(inputs)
        layers, length = keras.layers, shape[1]
        if self.with_embedding:
            x = layers.Embedding(self.vocabulary_size, self.embedding_dimension)(layers.Reshape((length,))(inputs))
        else:
            x = layers.Reshape((length, 1))(inputs) if len(shape) == 2 else inputs
        for _ in range(self.num_layers):
            x = layers.Bidirectional(layers.GRU(self.num_units, return_sequences=True))(x)
        x = dense_stack(keras, x, 1, self.num_units, self.activation, self.with_bn, self.p_dropout)
        return block_average(keras, layers.Dense(1)(x), factors)
