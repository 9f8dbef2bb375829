"""``deepexplain cem`` and ``deepexplain cxplain fit|explain``: the numbers of the Python classes."""
import numpy as np
from batch_models import invoke, keras3_model, read_all


def test_cem_command_gives_pn_and_found_flags_per_row(files, tmp_path):
    from cem import CEM

    out = str(tmp_path / "cem.h5")
    params = {"kappa": 0.1, "max_iterations": 40, "c_steps": 2, "c_init": 1.0, "learning_rate_init": 0.05,
              "no_info_val": 0.0}
    code, _, stderr = invoke(["cem", "--model", files["keras"], "--data", files["npy"], "--mode", "PN", "--out", out,
                              "--quiet",
                              "--chunk-rows", "20"] + [f"--param={k}={v}" for k, v in params.items()])
    assert code == 0, stderr
    datasets, job = read_all(out)
    assert job["kind"] == "cem" and job["mode"] == "PN"
    x = files["x"][:20]
    expected = CEM(None, keras3_model(), "PN", (1, 6), **params).explain(x)
    np.testing.assert_array_equal(datasets["found"][:20], expected["found"])
    assert datasets["found"].any()
    found = expected["found"]
    np.testing.assert_allclose(datasets["PN"][:20][found], expected["PN"][found], rtol=1e-4, atol=1e-4)
    assert np.isnan(datasets["PN"][~datasets["found"]]).all()
    np.testing.assert_array_equal(datasets["X_pred"], np.argmax(keras3_model().predict(files["x"], verbose=0), axis=1))
    assert datasets["PN"].shape == files["x"].shape and datasets["rows_done"] == len(files["x"])


def test_cxplain_fit_then_explain(files, tmp_path):
    from cxplain import CXPlain

    directory, out = str(tmp_path / "explainer"), str(tmp_path / "cxplain.h5")
    code, _, stderr = invoke(["cxplain", "fit", "--model", files["keras"], "--data", files["npy"],
                              "--labels", files["labels_npy"], "--out", directory, "--param", "num_units=8",
                              "--param", "num_epochs=3", "--param", "batch_size=32",
                              "--random-state", "0", "--quiet"])
    assert code == 0, stderr
    code, _, stderr = invoke(["cxplain", "explain", "--explainer", directory, "--data", files["npy"], "--out", out,
                              "--quiet",
                              "--chunk-rows", "50"])
    assert code == 0, stderr
    datasets, job = read_all(out)
    expected = CXPlain.load(directory).explain(files["x"]).attributions
    np.testing.assert_allclose(datasets["attributions/cxplain"], expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(datasets["attributions/cxplain"].sum(axis=1), 1.0, rtol=1e-4)
    code, _, stderr = invoke(["cxplain", "fit", "--model", files["keras"], "--data", files["npy"],
                              "--labels", files["labels_npy"], "--out", directory, "--quiet"])
    assert code == 4 and "exists" in stderr
