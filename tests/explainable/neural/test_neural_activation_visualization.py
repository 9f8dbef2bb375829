"""explainable.ActivationVisualization: activations, Grad-CAM and saliency against Keras and GradientTape."""
import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf
from neural_models import cnn, images

import deepexplain
from deepexplain.explainable import ActivationVisualization

IMAGES = images(4, 31)


@pytest.fixture
def model():
    if not tf.executing_eagerly():
        pytest.skip("eager execution is off in this process (--tf1)")
    return cnn()


def test_activations_equal_the_layers_outputs(model):
    vis = ActivationVisualization(model)
    probe = keras.Model(model.inputs, [model.get_layer("conv1").output, model.get_layer("conv2").output])
    conv1, conv2 = (a.numpy() for a in probe([IMAGES]))
    one = vis.get_activations(IMAGES[0], ["conv1", "conv2"])
    assert list(one) == ["conv1", "conv2"] and one["conv1"].shape == (8, 8, 4) and one["conv2"].shape == (4, 4, 6)
    np.testing.assert_allclose(one["conv2"], conv2[0], rtol=1e-5, atol=1e-6)
    batch = vis.get_activations(IMAGES, ["conv1"])
    np.testing.assert_allclose(batch["conv1"], conv1, rtol=1e-5, atol=1e-6)


def test_grad_cam_is_the_gradcam_method_for_the_predicted_class(model):
    vis = ActivationVisualization(model)
    logits = model(IMAGES).numpy()  # softmax is monotonic: same argmax as the logits
    cam = vis.grad_cam(IMAGES[1], target_layer="conv2")
    ys = np.eye(3, dtype=np.float32)[[logits[1].argmax()]]
    expected = deepexplain.explain("gradcam", model, IMAGES[1:2], ys=ys, layer="conv2")[0]
    assert cam.shape == (8, 8)
    np.testing.assert_allclose(cam, expected, rtol=1e-6)
    other = vis.grad_cam(IMAGES, target_class=2, target_layer=model.get_layer("conv1"))
    assert other.shape == (4, 8, 8)


def test_saliency_map_is_the_absolute_logit_gradient(model):
    x = tf.constant(IMAGES[2:3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        # the pre-softmax score of class 1: the Dense layer's input times its kernel
        features = keras.Model(model.inputs, model.get_layer("gap").output)([x])
        score = tf.matmul(features, model.get_layer("out").kernel)[0, 1]
    expected = np.abs(tape.gradient(score, x).numpy()[0])
    saliency = ActivationVisualization(model).saliency_map(IMAGES[2], target_class=1)
    np.testing.assert_allclose(saliency, expected, rtol=1e-5, atol=1e-7)


def test_plots_return_figures(model):
    vis = ActivationVisualization(model)
    activations = vis.get_activations(IMAGES[0], ["conv1", "gap"])
    for figure in [
        vis.plot_activation(activations["conv1"], "conv1"),
        vis.plot_activation(activations["gap"], "gap"),
        vis.plot_grad_cam(IMAGES[0], vis.grad_cam(IMAGES[0])),
        vis.plot_saliency(IMAGES[0], vis.saliency_map(IMAGES[0])),
    ]:
        assert isinstance(figure, matplotlib.figure.Figure)
    assert len(vis.plot_activation(activations["conv1"], max_channels=3).axes) == 4  # a 2×2 grid, 3 used


@pytest.mark.session
def test_session_style_with_tf_keras():
    import tf_keras

    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        model = cnn(tf_keras)
        vis = ActivationVisualization(model, session=sess)
        activations = vis.get_activations(IMAGES, ["conv2"])["conv2"]
        expected = sess.run(model.get_layer("conv2").output, {model.inputs[0]: IMAGES})
        cam = vis.grad_cam(IMAGES, target_class=0, target_layer="conv2")
    np.testing.assert_allclose(activations, expected, rtol=1e-5, atol=1e-6)
    assert cam.shape == (4, 8, 8) and np.all(cam >= 0)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda v: v.get_activations(IMAGES[0], "conv1"), TypeError, "layer_names: expected a non-empty list"),
        (
            lambda v: v.get_activations(IMAGES[0], ["conv7"]),
            ValueError,
            r"layer_names: expected the name of a layer of the model, one of \['conv1'",
        ),
        (
            lambda v: v.get_activations(IMAGES[0, 0], ["conv1"]),
            ValueError,
            "input: expected one sample of rank 3 or a batch of rank 4",
        ),
        (
            lambda v: v.grad_cam(IMAGES[0], target_class=3),
            ValueError,
            r"target_class: expected class indices in \[0, 3\)",
        ),
        (lambda v: v.grad_cam(IMAGES[0], target_layer="out"), ValueError, "layer: expected a feature map"),
        (lambda v: v.plot_grad_cam(IMAGES[0], np.zeros((2, 8, 8))), ValueError, "cam: expected one map"),
        (
            lambda v: v.plot_activation(np.zeros((1, 2, 3, 4))),
            ValueError,
            "activation: expected one sample's activation",
        ),
    ],
)
def test_errors(model, call, error, message):
    with pytest.raises(error, match=message):
        call(ActivationVisualization(model))
