"""The result type: a dict with attribute access and meta, unpacking where the seeds unpacked,
and the conversions to shap, pandas and JSON (exact values on hand-built results)."""
import json
import pickle

import matplotlib
import numpy as np
import pytest

from deepexplain import Explanation

VALUES = np.array([[[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]], [[-1.0, 1.0], [0.5, 0.5], [1.0, 0.0]]])  # (2, 3, 2)
DATA = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def shap_like(**meta):
    return Explanation({"values": VALUES, "expected_value": np.array([0.25, 0.75]), "data": DATA}, "KernelShap",
                       params={"n_samples": 8}, feature_names=["a", "b", "c"], output_names=["no", "yes"], **meta)


def test_entries_by_key_and_attribute_and_the_meta():
    result = shap_like()
    assert isinstance(result, dict) and result.values is result["values"] and result.data is DATA
    assert result.meta["method"] == "KernelShap" and result.meta["params"] == {"n_samples": 8}
    assert result.meta["feature_names"] == ["a", "b", "c"] and result.meta["versions"]["numpy"] == np.__version__
    result.note = "set"
    assert result["note"] == "set" and "note" in dir(result)
    with pytest.raises(AttributeError, match="no entry 'PN'; its entries are"):
        _ = result.PN
    with pytest.raises(AttributeError, match="meta"):
        result.meta = {}


def test_without_values_and_data_entries_the_dict_methods_answer():
    result = Explanation({"mean": np.ones(2)}, "PermutationImportance", model=np.linalg)
    assert list(result.values()) == [result["mean"]] and result.data == {"mean": result["mean"]}
    assert result.meta["model"] == "builtins.module" and list(result) == ["mean"]


def test_unpack_a_pair_and_a_list():
    pair = Explanation({"images": DATA, "probabilities": VALUES, "dims": [0]}, "GCE",
                       unpack=("images", "probabilities"))
    images, probabilities = pair
    assert images is DATA and probabilities is VALUES and pair[1] is VALUES and len(pair) == 2
    assert sorted(pair.keys()) == ["dims", "images", "probabilities"] and set(dict(pair)) == set(pair.keys())
    found = Explanation({"counterfactuals": [DATA[0], DATA[1]], "distance": np.ones(2)}, "Counterfactual",
                        unpack="counterfactuals")
    assert [cf.tolist() for cf in found] == DATA.tolist() and found[-1] is found.counterfactuals[1]
    assert len(found[:1]) == 1 and found[:1][0] is found[0] and len(found) == 2 and found["distance"] is found.distance
    restored = pickle.loads(pickle.dumps(found))
    assert restored.meta == found.meta and len(restored) == 2
    with pytest.raises(ValueError, match="unpack: expected entries"):
        Explanation({"a": 1}, "x", unpack="b")


def test_to_shap_keeps_values_and_base_values():
    result = shap_like()
    every = result.to_shap()
    np.testing.assert_array_equal(every.values, VALUES)
    np.testing.assert_array_equal(every.base_values, [[0.25, 0.75], [0.25, 0.75]])
    assert every.output_names == ["no", "yes"] and list(every.feature_names) == ["a", "b", "c"]
    one = result.to_shap(output=1)
    np.testing.assert_array_equal(one.values, VALUES[..., 1])
    np.testing.assert_array_equal(one.base_values, [0.75, 0.75])
    np.testing.assert_array_equal(one.data, DATA)
    with pytest.raises(ValueError, match=r"output: expected None or an output index in \[0, 2\)"):
        result.to_shap(output=2)
    with pytest.raises(ValueError, match="no 'values'"):
        Explanation({"mean": 1}, "PermutationImportance").to_shap()


def test_to_frame_and_to_json():
    result = shap_like()
    frame = Explanation({"values": VALUES[..., 0], "expected_value": 0.5}, "TreeShap",
                        feature_names=["a", "b", "c"]).to_frame()
    assert list(frame.columns) == ["a", "b", "c"] and frame.to_numpy().tolist() == VALUES[..., 0].tolist()
    with pytest.raises(ValueError, match="to_shap"):
        result.to_frame()
    text = json.loads(result.to_json())
    assert text["meta"]["method"] == "KernelShap" and text["data"]["values"] == VALUES.tolist()


def test_shap_plots_draw_a_result():
    shap = pytest.importorskip("shap")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    one = shap_like().to_shap(output=0)
    shap.plots.waterfall(one[0], show=False)
    shap.plots.beeswarm(one, show=False)
    shap.plots.bar(one, show=False)
    plt.close("all")


def test_shap_family_results_convert_with_their_values_and_base_values():
    shap = pytest.importorskip("shap")
    import matplotlib.pyplot as plt
    from sklearn.ensemble import RandomForestClassifier

    from deepexplain.explainable import KernelShap, TreeShap

    X = np.random.default_rng(3).normal(size=(40, 3))
    two_outputs = KernelShap(lambda x: np.stack([x @ [1.0, 2.0, 0.0], -x[:, 0]], 1), X[:10]).explain(X[:6])
    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, X[:, 1] > 0)
    trees = TreeShap(forest, data=X[:10]).explain(X[:6])
    for result in (two_outputs, trees):
        assert result.values.shape == (6, 3, 2)
        converted = result.to_shap(output=1)
        np.testing.assert_array_equal(converted.values, result.values[..., 1])
        np.testing.assert_array_equal(converted.base_values, np.full(6, result.expected_value[1]))
        np.testing.assert_allclose(converted.values.sum(1) + converted.base_values,
                                   result.values[..., 1].sum(1) + result.expected_value[1])
        shap.plots.beeswarm(converted, show=False)
        shap.plots.bar(converted, show=False)
        plt.close("all")
    assert trees.meta["output_names"] == ["False", "True"] and two_outputs.meta["params"]["n_samples"] == 2048
    with pytest.raises(ValueError, match=r"output: expected None or an output index in \[0, 2\)"):
        TreeShap(forest, data=X[:10]).explain(X[:6], output=2)
