"""The one validation module of the distribution: each check accepts what it documents and
refuses the rest with an error naming the parameter, what was expected and what was given."""
import numpy as np
import pytest

from deepexplain import validation as v


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_boolean_accepts_booleans(value):
    assert v.boolean("flag", value) is bool(value)


@pytest.mark.parametrize("value", [0, 1, "yes", None, 1.0, np.array([True])])
def test_boolean_refuses_what_is_not_a_boolean(value):
    with pytest.raises(TypeError, match="flag: expected True or False, got"):
        v.boolean("flag", value)


def test_boolean_with_none_allowed():
    assert v.boolean("verbose", None, allow_none=True) is None
    with pytest.raises(TypeError, match="verbose: expected True, False or None, got int 1"):
        v.boolean("verbose", 1, allow_none=True)


def test_integers_and_numbers_exclude_booleans_and_strings():
    assert [v.is_integer(x) for x in (3, np.int64(3), True, np.bool_(True), 3.0, "3")] == [1, 1, 0, 0, 0, 0]
    assert [v.is_number(x) for x in (3, 2.5, np.float32(1), True, "3", None)] == [1, 1, 1, 0, 0, 0]


def test_non_negative_int_and_index():
    assert v.non_negative_int("L", 0) == 0
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="L: expected an integer >= 0, got"):
            v.non_negative_int("L", bad)
    assert v.index("label", 2, 3) == 2 and v.index("output", -3, 3, negative=True) == -3
    with pytest.raises(ValueError, match=r"label: expected an integer in \[0, 3\), got int 3"):
        v.index("label", 3, 3)
    with pytest.raises(ValueError, match=r"output: expected an integer in \[-3, 3\), got int -4"):
        v.index("output", -4, 3, negative=True)


def test_intervals_choices_and_pairs():
    assert v.dropout_rate("p", 0) == 0.0 and v.open_unit_interval("c", 0.95) == 0.95
    with pytest.raises(ValueError, match=r"p: expected a number in \[0, 1\), got float 1.0"):
        v.dropout_rate("p", 1.0)
    with pytest.raises(ValueError, match="c: expected a number strictly between 0 and 1, got bool True"):
        v.open_unit_interval("c", True)
    assert v.choice("mode", "PN", ("PN", "PP")) == "PN"
    with pytest.raises(ValueError, match="mode: expected one of 'PN', 'PP', got str 'pn'"):
        v.choice("mode", "pn", ("PN", "PP"))
    assert v.increasing_pair("clip", [-1, 2]) == (-1.0, 2.0)
    with pytest.raises(ValueError, match=r"clip: expected two numbers \(low, high\) with low < high"):
        v.increasing_pair("clip", (2, 2))
    with pytest.raises(ValueError, match=r"eps: expected a pair \(first, second\), got float 0.1"):
        v.pair("eps", 0.1)


def test_instance_shape_per_feature_and_feature_bounds():
    assert v.instance_shape("shape", [1, 4]) == (1, 4)
    with pytest.raises(ValueError, match=r"shape: expected a tuple of positive ints \(batch, \*features\)"):
        v.instance_shape("shape", (4,))
    np.testing.assert_array_equal(v.per_feature("eps", 0.5, (3,)), np.full((1, 3), 0.5, np.float32))
    with pytest.raises(ValueError, match=r"eps: expected a number or an array broadcastable to \(1, 3\)"):
        v.per_feature("eps", np.ones(4), (3,))
    low, high = v.feature_bounds("feature_range", (0, np.array([1, 2, 3])), (3,))
    np.testing.assert_array_equal(high, [[1, 2, 3]])
    with pytest.raises(ValueError, match="feature_range: expected min ≤ max for every feature, got min > max at 1"):
        v.feature_bounds("feature_range", (np.array([0, 5, 0]), 1), (3,))


def test_samples_keeps_token_ids_and_refuses_other_kinds():
    assert v.samples(np.array([[1, 2]], np.int64)).dtype == np.int32
    assert v.samples([[0.5, 1.0]]).dtype == np.float32
    with pytest.raises(ValueError, match="X: expected integer token ids within int32"):
        v.samples(np.array([[2**40]]))
    with pytest.raises(TypeError, match="X: expected a real-valued numeric array"):
        v.samples(np.array([["a"]]))
    with pytest.raises(ValueError, match=r"X: expected at least 2 samples \(one is held out\)"):
        v.samples(np.ones((1, 3)), min_samples=2, why="one is held out")
    with pytest.raises(ValueError, match="data: expected an array with a leading batch dimension"):
        v.samples(np.ones(3), name="data")


def test_labels_become_class_indices_of_a_classifier():
    np.testing.assert_array_equal(v.labels(["b", "a", "b"], 3, classes=np.array(["a", "b"])), [1, 0, 1])
    np.testing.assert_array_equal(v.labels([0, 2], 2), np.array([0.0, 2.0], np.float32))
    with pytest.raises(ValueError, match=r"y: expected 3 labels \(one per sample of X\), got None"):
        v.labels(None, 3)
    with pytest.raises(ValueError, match=r"y: expected 3 labels \(one per sample of X\), got ndarray of shape \(2,\)"):
        v.labels([0, 1], 3)


def test_the_old_per_package_modules_are_gone():
    import importlib.util

    assert importlib.util.find_spec("cem.validation") is None
    assert importlib.util.find_spec("cxplain.checks") is None
