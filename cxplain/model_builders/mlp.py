"""A multilayer perceptron explanation model, for tabular data (and any sample shape)."""
import math

from .base import BaseModelBuilder, dense_stack


class MLPModelBuilder(BaseModelBuilder):
    """Flatten → ``num_layers`` × Dense(``num_units``) → one score per block → softmax."""

    def __init__(self, num_layers=2, num_units=64, activation="relu", with_bn=False, p_dropout=0.0,
                 early_stopping_patience=12, batch_size=64, num_epochs=100, validation_fraction=0.1,
                 learning_rate=1e-3, verbose=0):
        super().__init__(early_stopping_patience, batch_size, num_epochs, validation_fraction, learning_rate, verbose)
        self.num_layers = num_layers
        self.num_units = num_units
        self.activation = activation
        self.with_bn = with_bn
        self.p_dropout = p_dropout
        self.check_params()

    def check_params(self):
        super().check_params()
        self.check_layers(min_layers=0)
        return self

    def scores(self, keras, inputs, grid, factors):
        x = keras.layers.Flatten()(inputs)
        x = dense_stack(keras, x, self.num_layers, self.num_units, self.activation, self.with_bn, self.p_dropout)
        return keras.layers.Dense(math.prod(grid))(x)
