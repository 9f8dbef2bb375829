"""Session style (TF1 code ported with tf.compat.v1.disable_v2_behavior()) with a tf_keras
model trained first.

The model is built and trained outside the DeepExplain context; passing it as
``T`` (with ``X=None``) rebuilds it inside the context on new inputs, so its
nonlinearities get the modified gradients. A placeholder with a fixed batch size,
common in TF1 code, is fed exactly that many rows per call. Writes no files:

    python examples/session_style.py
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()  # the usual TF1 migration idiom: graphs, sessions, v1 shapes

import tf_keras  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from tf_keras.api._v1.keras import backend as K  # noqa: E402

from deepexplain.tensorflow import DeepExplain  # noqa: E402


def main():
    data = load_breast_cancer()
    xs = StandardScaler().fit_transform(data.data).astype(np.float32)
    labels = data.target

    tf_keras.utils.set_random_seed(0)
    model = tf_keras.Sequential([
        tf_keras.layers.Dense(32, activation="relu", input_shape=(xs.shape[1],)),
        tf_keras.layers.Dense(16, activation="tanh"),
        tf_keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(xs, labels, epochs=10, batch_size=32, verbose=0)
    print(f"training accuracy: {model.evaluate(xs, labels, verbose=0)[1]:.3f}")

    ys = np.eye(2, dtype=np.float32)[labels]
    with DeepExplain(session=K.get_session()) as de:
        # A model as T: rebuilt inside the context, explained through its logits.
        deeplift = de.explain("deeplift", model, xs=xs, ys=ys)
        # A compiled explainer: run() adds no ops to the graph, however often it is called.
        explainer = de.get_explainer("elrp", model)
        elrp = explainer.run(xs, ys, batch_size=128)
        # The classic form: T and X tensors built inside the context (here the probabilities),
        # with a placeholder of fixed batch size 64: calls are padded to 64 rows.
        X = tf.placeholder(tf.float32, [64, xs.shape[1]])
        saliency = de.explain("saliency", model(X), X, xs, ys=ys)

    ranking = np.argsort(-np.abs(deeplift).mean(0))[:5]
    print("features with the largest mean |DeepLIFT| attribution:")
    for index in ranking:
        print(f"  {data.feature_names[index]:<24} {np.abs(deeplift).mean(0)[index]:.3f}")
    print(f"correlation of elrp and DeepLIFT attributions: {np.corrcoef(elrp.ravel(), deeplift.ravel())[0, 1]:.2f}")
    print(f"mean saliency of the predicted probability: {saliency.mean():.4f}")


if __name__ == "__main__":
    main()
