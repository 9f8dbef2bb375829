"""A TensorBoard event file written without TensorFlow ops.

Events are ``tf.compat.v1.Event`` protocol buffers in a TFRecord file whose name holds
``tfevents``, which is what TensorBoard reads. Writing them through ``tf.io.TFRecordWriter``
adds nothing to any graph and needs no session, so it works the same in eager code and in
tf_keras graph-mode training.
"""
import itertools
import os
import socket
import time

import tensorflow as tf

_COUNTER = itertools.count()


class EventWriter:
    """Scalars and images for TensorBoard, appended to a new event file in ``log_dir``."""

    def __init__(self, log_dir):
        os.makedirs(log_dir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.{next(_COUNTER)}"
        self.path = os.path.join(log_dir, name)
        self._writer = tf.io.TFRecordWriter(self.path)
        self._write(tf.compat.v1.Event(wall_time=time.time(), file_version="brain.Event:2"))

    def _write(self, event):
        self._writer.write(event.SerializeToString())

    def write(self, step, scalars=None, images=None):
        """One event at ``step``: ``scalars`` ``{tag: float}`` and ``images`` ``{tag: (height, width, png)}``."""
        values = [tf.compat.v1.Summary.Value(tag=tag, simple_value=float(v)) for tag, v in (scalars or {}).items()]
        for tag, (height, width, encoded) in (images or {}).items():
            image = tf.compat.v1.Summary.Image(height=height, width=width, colorspace=3, encoded_image_string=encoded)
            values.append(tf.compat.v1.Summary.Value(tag=tag, image=image))
        summary = tf.compat.v1.Summary(value=values)
        self._write(tf.compat.v1.Event(wall_time=time.time(), step=int(step), summary=summary))
        self._writer.flush()

    def close(self):
        self._writer.close()
