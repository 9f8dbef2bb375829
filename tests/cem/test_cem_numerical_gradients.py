import numpy as np

from deepexplain.numerical_gradients import jacobian_from_outputs, numerical_jacobian, perturbed_rows


def test_jacobian_of_a_smooth_function_in_one_call():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(2, 3, 4))
    x = rng.normal(size=(5, 2, 3))
    calls = []

    def f(rows):
        calls.append(len(rows))
        return np.tanh(np.einsum("nab,abc->nc", rows, W))

    jac = numerical_jacobian(f, x, 1e-5)
    exact = (1 - f(x)[..., None, None] ** 2) * np.moveaxis(W, -1, 0)[None]
    assert jac.shape == (5, 4, 2, 3)
    np.testing.assert_allclose(jac, exact, atol=1e-6)
    assert calls[0] == 5 * 2 * 6  # one call with every ±eps row


def test_per_feature_eps_and_the_split_api():
    x = np.array([[1.0, 2.0]])
    rows = perturbed_rows(x, [0.1, 0.2])
    np.testing.assert_allclose(rows, [[1.1, 2.0], [1.0, 2.2], [0.9, 2.0], [1.0, 1.8]])
    jac = jacobian_from_outputs((rows ** 2).sum(1), x.shape, [0.1, 0.2])
    np.testing.assert_allclose(jac, [[2.0, 4.0]], atol=1e-9)
