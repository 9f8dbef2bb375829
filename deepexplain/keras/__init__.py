"""Attributions during Keras training: ``AttributionCallback`` for ``model.fit`` (Keras 3 and
tf_keras), writing TensorBoard images and scalars and an HDF5 file of maps per epoch."""
from .callback import AttributionCallback

__all__ = ["AttributionCallback"]
