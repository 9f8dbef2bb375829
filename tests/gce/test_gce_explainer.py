"""GCE on digits 3 vs 8 with a small CNN (paper fig. 3 and 5, at test scale): the causal factor
carries the decision, the others do not; sweeps, aspect removal, determinism and batching."""
import numpy as np
import pytest

from cxplain import GenerativeCausalExplainer

K, L = 1, 3


@pytest.fixture(scope="module")
def trained(digits, digits_classifier):
    """GCE trained for 300 steps on fixed seeds; the tests assert only properties with wide margins
    (on a range of seeds Î ≈ 0.6 nats, removing α costs ≈ 48 points, removing a β ≤ 6)."""
    X, _ = digits
    explainer = GenerativeCausalExplainer(digits_classifier, K, L, width=16, random_state=0)
    history = explainer.train(X, steps=300, Nalpha=20, Nbeta=40, progress=False)
    return explainer, history


def test_history_has_one_value_per_step_and_the_loss_is_its_sum(trained):
    _, history = trained
    assert sorted(history) == ["loss", "loss_ce", "loss_kld", "loss_mse", "loss_nll"]
    assert all(values.shape == (300,) for values in history.values())
    np.testing.assert_allclose(history["loss_nll"], history["loss_mse"] + history["loss_kld"], rtol=1e-5)
    np.testing.assert_allclose(history["loss"], history["loss_ce"] + 0.05 * history["loss_nll"], rtol=1e-4, atol=1e-5)
    assert np.all(-history["loss_ce"] >= -1e-6) and np.all(-history["loss_ce"] <= np.log(2) + 1e-6)
    assert history["loss"][-30:].mean() < history["loss"][:10].mean()


def test_alpha_carries_the_information_flow(trained):
    explainer, _ = trained
    flow = explainer.information_flow()
    assert 0.5 <= flow <= np.log(2)
    per_dim = explainer.information_flow_per_dim()
    assert per_dim.shape == (K + L,)
    assert per_dim[0] >= 0.5
    assert np.all(per_dim[K:] < 0.1)
    np.testing.assert_array_equal(explainer.information_flow_per_dim(dims=[2, 0]), per_dim[[2, 0]])


def test_removing_alpha_costs_far_more_accuracy_than_removing_any_beta(trained, digits, digits_classifier):
    explainer, _ = trained
    X, y = digits
    result = explainer.aspect_removal_accuracy(X, y)
    direct = np.mean(np.argmax(digits_classifier.predict(X, verbose=0), axis=1) == y)
    assert result["original"] == pytest.approx(direct, abs=1e-9)
    assert result["removed"].shape == (K + L,)
    drops = result["original"] - result["removed"]
    assert drops[0] >= 0.25
    assert np.all(drops[K:] <= 0.10)


def test_sweeping_alpha_flips_the_decision_and_sweeping_a_beta_does_not(trained, digits):
    explainer, _ = trained
    X, _ = digits
    _, probabilities = explainer.explain(X[:40])
    decisions = np.argmax(probabilities, axis=-1)  # (n, K + L, S)
    flips = np.any(decisions != decisions[..., :1], axis=-1).mean(axis=0)  # per latent coordinate
    assert flips[0] >= 0.8
    assert np.all(flips[K:] <= 0.2)


def test_explanations_are_deterministic_decoded_sweeps_around_the_mean(trained, digits, digits_classifier):
    explainer, _ = trained
    x = digits[0][:5]
    sweep = np.array([-2.0, 0.0, 1.5])
    images, probabilities = explainer.explain(x, sweep=sweep)
    assert images.shape == (5, K + L, 3, 8, 8, 1) and probabilities.shape == (5, K + L, 3, 2)
    again = explainer.explain(x, sweep=sweep)
    np.testing.assert_array_equal(again[0], images)
    # a zero shift of any coordinate is the reconstruction decode(mu(x))
    for d in range(1, K + L):
        np.testing.assert_allclose(images[:, d, 1], images[:, 0, 1], atol=1e-6)
    np.testing.assert_allclose(probabilities, digits_classifier.predict(images.reshape(-1, 8, 8, 1), verbose=0)
                               .reshape(probabilities.shape), atol=1e-5)
    chosen = explainer.explain(x, sweep=sweep, dims=[2])
    np.testing.assert_allclose(chosen[0][:, 0], images[:, 2], atol=1e-6)
    one_by_one = np.concatenate([explainer.explain(x[i:i + 1], sweep=sweep)[1] for i in range(5)])
    np.testing.assert_allclose(one_by_one, probabilities, atol=1e-5)


def test_evaluation_is_reproducible_with_the_random_state(trained, digits):
    explainer, _ = trained
    assert explainer.information_flow(Nalpha=30, Nbeta=20) == explainer.information_flow(Nalpha=30, Nbeta=20)
    first = explainer.aspect_removal_accuracy(*digits)["removed"]
    np.testing.assert_array_equal(explainer.aspect_removal_accuracy(*digits)["removed"], first)
