"""A U-Net explanation model for images (Ronneberger et al., 2015), as in CXPlain."""
from deepexplain.runtime import static_shape
from deepexplain.validation import describe

from .base import BaseModelBuilder, block_average


class UNetModelBuilder(BaseModelBuilder):
    """U-Net over ``(height, width, channels)`` images: one score per pixel, averaged per block.

    ``num_layers + 1`` encoder stages of two 3×3 convolutions with ``num_units·2^i``
    filters and 2×2 max pooling between them; the decoder upsamples, concatenates
    the skip connection and convolves back to full resolution; a 3×3 convolution
    gives one score per pixel, averaged over blocks of ``downsample_factors``
    (set on :class:`~cxplain.CXPlain`). Small defaults keep maps sample-specific.
    """

    def __init__(self, num_layers=2, num_units=8, activation="relu", with_bn=False, p_dropout=0.0,
                 early_stopping_patience=12, batch_size=32, num_epochs=100, validation_fraction=0.1,
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

    def _convolutions(self, keras, x, filters):
        for _ in range(2):
            x = keras.layers.Conv2D(filters, 3, padding="same")(x)
            if self.with_bn:
                x = keras.layers.BatchNormalization()(x)
            x = keras.layers.Activation(self.activation)(x)
        return keras.layers.Dropout(self.p_dropout)(x) if self.p_dropout else x

    def check_samples(self, X):
        if X.ndim != 4:
            raise ValueError(
                f"X: UNetModelBuilder expects images of shape (n, height, width, channels), got {describe(X)}"
            )

    def scores(self, keras, inputs, grid, factors):
        layers, depth = keras.layers, 2 ** self.num_layers
        height, width = static_shape(inputs)[1:3]
        padding = ((0, -height % depth), (0, -width % depth))
        x, skips = layers.ZeroPadding2D(padding)(inputs), []
        for stage in range(self.num_layers + 1):
            x = self._convolutions(keras, x, self.num_units * 2 ** stage)
            if stage < self.num_layers:
                skips.append(x)
                x = layers.MaxPooling2D(2)(x)
        for stage in reversed(range(self.num_layers)):
            x = layers.UpSampling2D(2)(x)
            x = layers.Conv2D(self.num_units * 2 ** stage, 2, padding="same", activation=self.activation)(x)
            x = self._convolutions(keras, layers.Concatenate()([skips[stage], x]), self.num_units * 2 ** stage)
        x = layers.Cropping2D(padding)(layers.Conv2D(1, 3, padding="same")(x))
        return block_average(keras, x, factors)
