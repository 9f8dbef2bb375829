"""How CXPlain removes one input position to measure its causal effect.

A masking operation turns a batch ``x`` of shape ``(b, *sample)`` into the batch
of its ``k`` reduced copies, shape ``(b, k, *sample)``, as TensorFlow ops, so that
the removal runs in the same compiled function as a TensorFlow model.
``removal(sample_shape, factors)`` returns ``(ids, remove)``: ``ids`` maps each
position to the index of its removal (see :mod:`cxplain.blocks`).
"""
import numpy as np
import tensorflow as tf

from .blocks import block_ids, spatial_shape


class ZeroMasking:
    """Removes a feature, a whole pixel (all channels) or a block of them by setting it to zero."""

    def removal(self, sample_shape, factors):
        ids = block_ids(spatial_shape(sample_shape), factors)
        count = int(ids.max()) + 1
        keep = ids[None] != np.arange(count).reshape((count,) + (1,) * ids.ndim)
        if len(sample_shape) > 1:
            keep = keep[..., None]

        def remove(x):
            return x[:, None] * tf.cast(keep, x.dtype)[None]

        return ids, remove


class WordDropMasking:
    """Removes token ``j`` from a sequence: later tokens move one step left, padding fills the end.

    Samples are token sequences of shape ``(length,)`` or ``(length, 1)`` padded with
    zeros at the end; the explained model sees sequences one token shorter (then padded).
    """

    def removal(self, sample_shape, factors):
        if any(f != 1 for f in factors):
            raise ValueError(f"downsample_factors: WordDropMasking removes single tokens, expected (1,), got {factors}")
        if len(sample_shape) > 1 and tuple(sample_shape[1:]) != (1,):
            raise ValueError(
                "X: WordDropMasking expects token sequences of shape (n, length) or (n, length, 1), "
                f"got samples of shape {tuple(sample_shape)}"
            )
        length = sample_shape[0]
        order = np.array([[p for p in range(length) if p != j] + [length] for j in range(length)])

        def remove(x):
            padded = tf.concat([x, tf.zeros_like(x[:, :1])], axis=1)
            return tf.gather(padded, order, axis=1)

        return np.arange(length), remove
