"""What every explanation model shares: a softmax over the removable positions, the
Keras flavour of the caller's style, and training on the causal objective."""
import inspect

import numpy as np

from deepexplain.runtime import static_shape
from deepexplain.validation import (
    boolean,
    dropout_rate,
    is_integer,
    non_negative_int,
    open_unit_interval,
    positive_float,
    positive_int,
)

from ..activation import activation
from ..blocks import coarse_shape, spatial_shape
from ..causal_objective import kl_divergence
from ..style import keras_for_current_style


def _epoch_progress(keras, bar, epochs):
    """A callback advancing the shared ``bar`` by one per epoch, and by the epochs
    early stopping skipped when training ends."""

    class EpochProgress(keras.callbacks.Callback):
        done = 0

        def on_epoch_end(self, epoch, logs=None):
            self.done += 1
            bar.update(1)
            bar.set_postfix(val_loss=(logs or {}).get("val_loss"))

        def on_train_end(self, logs=None):
            bar.update(epochs - self.done)

    return EpochProgress()


class BaseModelBuilder:
    """Builds and trains one explanation model ``A(x)``: a softmax over the ``k`` positions.

    Subclasses implement ``scores(keras, inputs, grid, factors)``: a tensor with one
    score per block of the coarse ``grid`` (``prod(grid)`` entries per sample), where
    blocks hold ``factors`` positions per spatial axis.
    Training minimises ``KL(ω ‖ A(x))`` with Adam and stops early when the
    validation loss has not improved for ``early_stopping_patience`` epochs, keeping
    the best weights. Parameters are checked when the builder is constructed
    (``check_params``) and again before fitting.
    """

    def __init__(self, early_stopping_patience=12, batch_size=64, num_epochs=100, validation_fraction=0.1,
                 learning_rate=1e-3, verbose=0):
        self.early_stopping_patience = early_stopping_patience
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.validation_fraction = validation_fraction
        self.learning_rate = learning_rate
        self.verbose = verbose

    def get_params(self):
        """The constructor's parameters by name (what ``save`` writes to the config)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def check_params(self):
        """Raise a ValueError/TypeError naming the first invalid parameter; returns self."""
        positive_int("early_stopping_patience", self.early_stopping_patience)
        positive_int("batch_size", self.batch_size)
        positive_int("num_epochs", self.num_epochs)
        positive_float("learning_rate", self.learning_rate)
        open_unit_interval("validation_fraction", self.validation_fraction)
        if not is_integer(self.verbose) or self.verbose not in (0, 1, 2):
            raise ValueError(f"verbose: expected 0, 1 or 2 (Keras fit verbosity), got {self.verbose!r}")
        return self

    def check_layers(self, min_layers):
        """The layer parameters most builders share."""
        if non_negative_int("num_layers", self.num_layers) < min_layers:
            raise ValueError(f"num_layers: expected an integer >= {min_layers}, got {self.num_layers!r}")
        positive_int("num_units", self.num_units)
        activation("activation", self.activation)
        boolean("with_bn", self.with_bn)
        dropout_rate("p_dropout", self.p_dropout)

    def check_samples(self, X):
        """Raise a ValueError if this architecture cannot take samples like ``X`` (an array)."""

    def build(self, sample_shape, factors, dtype="float32"):
        """A Keras model from samples to a distribution over the blocks of ``factors`` positions."""
        keras = keras_for_current_style()
        inputs = keras.Input(shape=tuple(sample_shape), dtype=dtype)
        grid = coarse_shape(spatial_shape(sample_shape), factors)
        scores = keras.layers.Flatten()(self.scores(keras, inputs, grid, tuple(factors)))
        return keras.Model(inputs, keras.layers.Softmax()(scores))

    def scores(self, keras, inputs, grid, factors):
        raise NotImplementedError

    def fit(self, model, x_train, w_train, x_val, w_val, progress=None):
        """Train ``model`` on targets ``w`` (with early stopping); returns the best validation loss.
        ``progress`` (a tqdm bar or None) advances by ``num_epochs`` in all."""
        keras = keras_for_current_style()
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=self.learning_rate), loss=kl_divergence)
        callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=self.early_stopping_patience,
                                                   restore_best_weights=True)]
        if progress is not None:
            callbacks.append(_epoch_progress(keras, progress, self.num_epochs))
        history = model.fit(x_train, w_train, validation_data=(x_val, w_val), epochs=self.num_epochs,
                            batch_size=self.batch_size, callbacks=callbacks, verbose=self.verbose, shuffle=True)
        return float(np.min(history.history["val_loss"]))


def dense_stack(keras, x, num_layers, num_units, activation, with_bn, p_dropout):
    """``num_layers`` × (Dense → optional BatchNorm → activation → optional Dropout)."""
    for _ in range(num_layers):
        x = keras.layers.Dense(num_units)(x)
        if with_bn:
            x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation(activation)(x)
        if p_dropout:
            x = keras.layers.Dropout(p_dropout)(x)
    return x


def block_average(keras, x, factors):
    """Average a per-position score map ``(*spatial, 1)`` over blocks of ``factors`` (zero-padded at the end)."""
    if all(f == 1 for f in factors):
        return x
    spatial = static_shape(x)[1:-1]
    padding = tuple((0, -size % f) for size, f in zip(spatial, factors))
    if len(factors) == 1:
        return keras.layers.AveragePooling1D(factors[0])(keras.layers.ZeroPadding1D(padding[0])(x))
    return keras.layers.AveragePooling2D(factors)(keras.layers.ZeroPadding2D(padding)(x))
