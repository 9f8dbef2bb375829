"""``deepexplain evaluate``: metrics of a batch output file, written into it, with a table and a figure."""
import h5py
import keras
import numpy as np
from click.testing import CliRunner

from deepexplain import batch, metrics
from deepexplain.cli import main


def test_evaluate_writes_the_metrics_of_every_method(tmp_path):
    rng = np.random.default_rng(5)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.set_weights([rng.normal(0, 0.8, w.shape).astype(np.float32) for w in model.get_weights()])
    model_path, data = str(tmp_path / "m.keras"), str(tmp_path / "x.npy")
    model.save(model_path)
    x = rng.normal(size=(40, 5)).astype(np.float32)
    np.save(data, x)
    out = str(tmp_path / "out.h5")
    batch.run(model_path, data, ["deeplift", "saliency"], out, chunk_rows=16, progress=False)
    with h5py.File(out) as f:
        before = {name: f[f"attributions/{name}"][()] for name in ("deeplift", "saliency")}
        targets = f["targets"][()]
    plot = str(tmp_path / "metrics.png")
    result = CliRunner().invoke(main, ["evaluate", "--model", model_path, "--data", data, "--attributions", out,
                                       "--param", "n_subsets=10", "--param", "n_perturbations=4", "--param", "steps=5",
                                       "--plot", plot])
    assert result.exit_code == 0, result.output
    assert "deeplift" in result.stdout and "sensitivity_n" in result.stdout
    with h5py.File(out) as f:
        for name in ("deeplift", "saliency"):
            np.testing.assert_array_equal(f[f"attributions/{name}"][()], before[name])
        errors = {name: f[f"metrics/{name}/completeness/error"][()] for name in ("deeplift", "saliency")}
        assert f["metrics/deeplift"].attrs["completeness"] < 1e-4 < f["metrics/saliency"].attrs["completeness"]
        assert f["metrics/deeplift/sensitivity_n/correlation"].shape[0] == 40
        assert f["metrics/saliency/deletion/curves"].shape == (40, 6)
        assert f["metrics/saliency/max_sensitivity/max_sensitivity"].shape == (40,)
        deletion_auc = f["metrics/deeplift/deletion/auc"][()]
    # the file's numbers are those of the Python functions over all rows at once
    np.testing.assert_allclose(errors["deeplift"], metrics.completeness(model, x, before["deeplift"], targets),
                               atol=1e-5)
    expected = metrics.deletion(model, x, before["deeplift"], targets, steps=5)["auc"]
    np.testing.assert_allclose(deletion_auc, expected, rtol=1e-5, atol=1e-6)
    assert open(plot, "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    np.save(data, x + 1)
    result = CliRunner().invoke(main, ["evaluate", "--model", model_path, "--data", data, "--attributions", out])
    assert result.exit_code == 4 and "is not the data" in result.stderr
