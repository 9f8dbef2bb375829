"""Bad input to the GenerativeCausalExplainer (issue #18): ``train`` checks everything before it
changes the explainer (a failed first train leaves it untrained, and a correct train then
works), labels and loaded classifiers are checked against the classifier."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from gce_models import linear_vae, softmax_classifier

from cxplain import GenerativeCausalExplainer

X = np.random.default_rng(0).random((16, 4)).astype(np.float32)
HEAD = np.array([[1, -1], [-1, 1], [0.5, 0], [0, 0.5]], np.float32), np.zeros(2, np.float32)
QUICK = {"steps": 1, "Nalpha": 2, "Nbeta": 2, "batch_size": 4, "progress": False}


@pytest.fixture(autouse=True)
def eager():
    if not tf.executing_eagerly():
        pytest.skip("Keras 3 needs eager execution")


def explainer(classifier=None, **kwargs):
    classifier = classifier or softmax_classifier(keras, *HEAD)
    return GenerativeCausalExplainer(classifier, K=1, L=1, width=4, random_state=0, **kwargs)


def assert_untrained(gce):
    assert not hasattr(gce, "input_shape_")
    with pytest.raises(ValueError, match="not trained yet"):
        gce.explain(X[:1])


def test_a_classifier_returning_logits_leaves_the_explainer_untrained():
    logits = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    logits.set_weights(list(HEAD))
    gce = explainer(logits)
    with pytest.raises(ValueError, match="classifier: expected class probabilities"):
        gce.train(X, **QUICK)
    assert_untrained(gce)
    assert gce.encoder is None and gce.decoder is None


def test_a_wrong_feature_count_is_named_and_a_correct_train_then_works():
    gce = explainer()
    with pytest.raises(ValueError, match=r"X: expected rows of shape \(4,\) \(the input of classifier"):
        gce.train(np.ones((16, 5), np.float32), **QUICK)
    assert_untrained(gce)
    history = gce.train(X, **QUICK)
    assert history["loss"].shape == (1,)
    assert gce.explain(X[:2])["images"].shape == (2, 2, 7, 4)


def test_a_custom_encoder_of_other_samples_is_named():
    encoder, decoder = linear_vae(keras, np.ones((2, 3), np.float32))
    gce = explainer(encoder=encoder, decoder=decoder)
    with pytest.raises(ValueError, match=r"X: expected rows of shape \(3,\) \(the input of encoder"):
        gce.train(X, **QUICK)
    assert_untrained(gce)


def test_a_custom_vae_that_fails_its_first_step_leaves_the_explainer_untrained():
    encoder, _ = linear_vae(keras, np.ones((2, 4), np.float32))
    _, decoder = linear_vae(keras, np.ones((2, 3), np.float32))  # decodes 3 features, the samples have 4
    gce = explainer(encoder=encoder, decoder=decoder)
    with pytest.raises(ValueError, match=r"decoder: expected samples of shape \(4,\)"):
        gce.train(X, **QUICK)
    assert_untrained(gce)
    assert gce.encoder is encoder and gce.decoder is decoder


@pytest.fixture(scope="module")
def trained():
    if not tf.executing_eagerly():
        pytest.skip("Keras 3 needs eager execution")
    gce = explainer()
    gce.train(X, **QUICK)
    return gce


@pytest.mark.parametrize("y, message", [
    (np.arange(16) % 5, r"y: expected class indices in \[0, 2\) \(the classifier's classes\), got values from 0 to 4"),
    (-np.ones(16, int), "y: expected class indices >= 0, got values from -1"),
    (np.zeros(16), "y: expected 16 integer class labels"),
])
def test_aspect_removal_accuracy_refuses_labels_outside_the_classes(trained, y, message):
    with pytest.raises(ValueError, match=message):
        trained.aspect_removal_accuracy(X, y)


def test_load_checks_the_classifier_input_shape(trained, tmp_path):
    trained.save(tmp_path)
    other = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2, activation="softmax")])
    with pytest.raises(ValueError, match=r"classifier: expected a classifier of the saved samples of shape \(4,\)"):
        GenerativeCausalExplainer.load(tmp_path, other)
    loaded = GenerativeCausalExplainer.load(tmp_path, softmax_classifier(keras, *HEAD))
    np.testing.assert_array_equal(loaded.explain(X[:1])["images"], trained.explain(X[:1])["images"])


@pytest.mark.parametrize("counts, name", [({"Nalpha": 10**5, "Nbeta": 10**5}, "Nalpha, Nbeta"),
                                          ({"batch_size": 10**11}, "batch_size"), ({"steps": 10**12}, "steps")])
def test_counts_whose_work_cannot_fit_are_refused_before_training(counts, name):
    gce = explainer()
    with pytest.raises(ValueError, match=f"{name}: expected a count whose .* fit in memory"):
        gce.train(X, **{**QUICK, **counts})
    assert_untrained(gce)
