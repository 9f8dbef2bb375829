"""Every parameter of GCE is checked at the boundary, with a message naming it."""
import keras
import numpy as np
import pytest
from gce_models import linear_vae, softmax_classifier

from cxplain import GenerativeCausalExplainer

X = np.random.default_rng(0).uniform(size=(40, 4)).astype(np.float32)


def head(outputs=2, activation="softmax"):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(outputs, activation=activation)])
    return model


@pytest.fixture(scope="module")
def trained():
    explainer = GenerativeCausalExplainer(head(), K=1, L=1, width=4, random_state=0)
    explainer.train(X, steps=2, Nalpha=3, Nbeta=2, progress=False)
    return explainer


@pytest.mark.parametrize("kwargs, error, message", [
    ({"classifier": "model"}, TypeError, "classifier: expected a Keras model"),
    ({"classifier": lambda x: x}, TypeError, "classifier: expected a Keras model"),
    ({"K": 0}, ValueError, "K: expected a positive integer"),
    ({"K": 1.5}, ValueError, "K: expected a positive integer"),
    ({"L": -1}, ValueError, "L: expected an integer >= 0"),
    ({"L": True}, ValueError, "L: expected an integer >= 0"),
    ({"encoder": keras.Sequential([keras.layers.Dense(2)])}, ValueError, "encoder, decoder: expected both"),
    ({"encoder": "enc", "decoder": "dec"}, TypeError, "encoder: expected a Keras model"),
    ({"width": 0}, ValueError, "width: expected a positive integer"),
    ({"random_state": 1.5}, TypeError, "random_state: expected an int or None"),
])
def test_constructor_arguments_are_checked(kwargs, error, message):
    arguments = {"classifier": head(), "K": 1, "L": 1, **kwargs}
    with pytest.raises(error, match=message):
        GenerativeCausalExplainer(**arguments)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"X": "data"}, TypeError, "X: expected a .*numeric array"),
    ({"X": np.zeros(4)}, ValueError, "X: expected an array with a leading batch dimension"),
    ({"X": np.zeros((0, 4))}, ValueError, "X: expected at least one sample"),
    ({"X": np.full((4, 4), np.nan)}, ValueError, "X: expected finite values"),
    ({"X": np.zeros((4, 2, 2))}, ValueError, "X: the default VAE needs vectors"),
    ({"steps": 0}, ValueError, "steps: expected a positive integer"),
    ({"Nalpha": 2.0}, ValueError, "Nalpha: expected a positive integer"),
    ({"Nbeta": None}, ValueError, "Nbeta: expected a positive integer"),
    ({"lam": -0.1}, ValueError, "lam: expected a finite number >= 0"),
    ({"lam": "0.1"}, ValueError, "lam: expected a finite number >= 0"),
    ({"batch_size": -3}, ValueError, "batch_size: expected a positive integer"),
    ({"lr": 0}, ValueError, "lr: expected a finite number > 0"),
    ({"betas": (0.5,)}, ValueError, r"betas: expected two numbers in \[0, 1\)"),
    ({"betas": (0.5, 1.0)}, ValueError, r"betas: expected two numbers in \[0, 1\)"),
    ({"use_ce": 1}, TypeError, "use_ce: expected True or False"),
    ({"progress": "no"}, TypeError, "progress: expected True or False"),
])
def test_train_arguments_are_checked(kwargs, error, message):
    explainer = GenerativeCausalExplainer(head(), K=1, L=1, width=4)
    arguments = {"X": X, "steps": 1, "progress": False, **kwargs}
    with pytest.raises(error, match=message):
        explainer.train(**arguments)


def test_classifier_must_return_probabilities():
    explainer = GenerativeCausalExplainer(head(activation=None), K=1, L=1, width=4)
    with pytest.raises(ValueError, match="classifier: expected class probabilities"):
        explainer.train(X, steps=1, progress=False)
    with pytest.raises(ValueError, match="classifier: expected class probabilities"):
        sigmoid = GenerativeCausalExplainer(head(outputs=1, activation="sigmoid"), K=1, L=1, width=4)
        sigmoid.train(X, steps=1, progress=False)


def test_custom_models_must_fit_the_latents_and_the_samples():
    clf = softmax_classifier(keras, np.array([[0.0, 1.0], [0.0, 0.0]]), np.zeros(2))
    data = X[:, :2]
    encoder, decoder = linear_vae(keras, np.eye(3, 2))  # 3 latents for K + L = 2
    with pytest.raises(ValueError, match=r"encoder: expected mu of shape \(n, K \+ L = 2\)"):
        GenerativeCausalExplainer(clf, 1, 1, encoder, decoder).train(data, steps=1, progress=False)
    single = keras.Model(encoder.input, encoder.output[0])
    with pytest.raises(ValueError, match=r"encoder: expected it to return \(mu, logvar\)"):
        GenerativeCausalExplainer(clf, 2, 1, single, decoder).train(data, steps=1, progress=False)
    encoder, _ = linear_vae(keras, np.eye(2))
    wrong = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match=r"decoder: expected samples of shape \(2,\)"):
        GenerativeCausalExplainer(clf, 1, 1, encoder, wrong).train(data, steps=1, progress=False)


def test_methods_need_training():
    explainer = GenerativeCausalExplainer(head(), K=1, L=1)
    for call in (explainer.information_flow, explainer.information_flow_per_dim, lambda: explainer.explain(X),
                 lambda: explainer.aspect_removal_accuracy(X, np.zeros(40, int))):
        with pytest.raises(ValueError, match="not trained yet"):
            call()


@pytest.mark.parametrize("call, message", [
    (lambda e: e.information_flow(Nalpha=0), "Nalpha: expected a positive integer or None"),
    (lambda e: e.information_flow(Nbeta=-1), "Nbeta: expected a positive integer or None"),
    (lambda e: e.information_flow_per_dim(dims=[2]), r"dims: expected latent coordinates in \[0, K \+ L = 2\)"),
    (lambda e: e.information_flow_per_dim(dims=[0.5]), "dims: expected latent coordinates"),
    (lambda e: e.information_flow_per_dim(dims=[]), "dims: expected latent coordinates"),
    (lambda e: e.explain(X[:, :3]), r"x: expected samples of shape \(4,\)"),
    (lambda e: e.explain(X, sweep=[]), "sweep: expected a non-empty 1-D array"),
    (lambda e: e.explain(X, sweep=[[1.0]]), "sweep: expected a non-empty 1-D array"),
    (lambda e: e.explain(X, sweep=["a"]), "sweep: expected a .*numeric array"),
    (lambda e: e.explain(X, dims=[-1]), "dims: expected latent coordinates"),
    (lambda e: e.aspect_removal_accuracy(X, np.zeros(3, int)), "y: expected 40 integer class labels"),
    (lambda e: e.aspect_removal_accuracy(X, np.zeros(40)), "y: expected 40 integer class labels"),
    (lambda e: e.train(np.zeros((5, 3))), r"X: expected samples of shape \(4,\)"),
])
def test_method_arguments_are_checked(trained, call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(trained)
