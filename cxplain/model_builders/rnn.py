"""A recurrent explanation model for sequences: text (token ids) and time series."""
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

    def scores(self, keras, inputs, grid, factors):
        layers, length = keras.layers, inputs.shape[1]
        if self.with_embedding:
            if not self.vocabulary_size or len(inputs.shape) > 3 or (len(inputs.shape) == 3 and inputs.shape[2] != 1):
                raise ValueError(
                    "vocabulary_size: an embedding needs vocabulary_size (larger than the largest token id) and "
                    f"token samples of shape (length,) or (length, 1); got vocabulary_size={self.vocabulary_size!r} "
                    f"and samples of shape {tuple(inputs.shape[1:])}"
                )
            x = layers.Embedding(self.vocabulary_size, self.embedding_dimension)(layers.Reshape((length,))(inputs))
        else:
            x = layers.Reshape((length, 1))(inputs) if len(inputs.shape) == 2 else inputs
        for _ in range(self.num_layers):
            x = layers.Bidirectional(layers.GRU(self.num_units, return_sequences=True))(x)
        x = dense_stack(keras, x, 1, self.num_units, self.activation, self.with_bn, self.p_dropout)
        return block_average(keras, layers.Dense(1)(x), factors)
