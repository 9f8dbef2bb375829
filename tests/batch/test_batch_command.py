"""The deepexplain command on saved models and data files: the same attributions as the Python API."""
import numpy as np
import pytest
from batch_models import keras3_model, read_all, tf_keras_model
from click.testing import CliRunner

import deepexplain
from deepexplain import batch
from deepexplain.cli import main


def invoke(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def reference(model, x, method, **params):
    """In-process attributions for the model's predicted classes."""
    ys = np.eye(3, dtype=np.float32)[np.argmax(model.predict(x, verbose=0), axis=1)]
    return deepexplain.get_explainer(method, model, **params).run(x, ys)


@pytest.mark.parametrize("model_format", ["keras", "h5", "savedmodel"])
def test_every_model_format_gives_the_python_api_attributions(files, tmp_path, model_format):
    out = str(tmp_path / "out.h5")
    code, output = invoke("explain", "--model", files[model_format], "--data", files["npy"], "--method", "intgrad",
                          "--method", "elrp", "--param", "steps=20", "--out", out, "--chunk-rows", "32", "--quiet")
    assert code == 0, output
    datasets, job = read_all(out)
    expected = reference(keras3_model(), files["x"], "intgrad", steps=20)
    np.testing.assert_allclose(datasets["attributions/intgrad"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(datasets["attributions/elrp"], reference(keras3_model(), files["x"], "elrp"),
                               rtol=1e-5, atol=1e-6)
    assert datasets["rows_done"] == len(files["x"])
    assert job["methods"] == [["intgrad", '{"steps": 20}'], ["elrp", '{}']]

    api = str(tmp_path / "api.h5")
    batch.run(files[model_format], files["npy"], ["intgrad", "elrp"], api, params={"steps": 20}, chunk_rows=32,
              progress=False)
    api_datasets, api_job = read_all(api)
    assert api_job == job
    for name in datasets:
        np.testing.assert_array_equal(api_datasets[name], datasets[name])


@pytest.mark.parametrize("data_format", ["npz", "npz_compressed", "hdf5"])
def test_every_data_format_gives_the_same_file(files, tmp_path, data_format):
    out, npy_out = str(tmp_path / "out.h5"), str(tmp_path / "npy.h5")
    for data, path in [(files[data_format], out), (files["npy"], npy_out)]:
        batch.run(files["keras"], data, "deeplift", path, chunk_rows=50, progress=False)
    a, _ = read_all(out)
    b, _ = read_all(npy_out)
    assert sorted(a) == sorted(b)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    np.testing.assert_allclose(a["attributions/deeplift"], reference(keras3_model(), files["x"], "deeplift"),
                               rtol=1e-5, atol=1e-6)


def test_sources_read_chunks_without_loading_the_file(files):
    for key in ["npy", "npz", "npz_compressed", "hdf5"]:
        source = batch.open_data(files[key])
        assert source.shape == files["x"].shape
        rows = [source.read(a, min(a + 25, len(source))) for a in range(0, len(source), 25)]
        np.testing.assert_array_equal(np.concatenate(rows), files["x"])
        np.testing.assert_array_equal(source.read(40, 45), files["x"][40:45])  # backwards after the end
        source.close()
    assert isinstance(batch.open_data(files["npy"])._array, np.memmap)


def test_targets_labels_index_and_probabilities(files, tmp_path):
    model = keras3_model()
    for targets, expected_index in [("labels", files["labels"]), ("index:2", np.full(len(files["x"]), 2))]:
        out = str(tmp_path / f"{targets[:5]}.h5")
        code, output = invoke("explain", "--model", files["keras"], "--data", files["npy"], "--method", "saliency",
                              "--targets", targets, "--labels", files["labels_npy"], "--probabilities", "--out", out,
                              "--quiet")
        assert code == 0, output
        datasets, job = read_all(out)
        np.testing.assert_array_equal(datasets["targets"], expected_index)
        ys = np.eye(3, dtype=np.float32)[expected_index]
        expected = deepexplain.get_explainer("saliency", model, logits=False).run(files["x"], ys)
        np.testing.assert_allclose(datasets["attributions/saliency"], expected, rtol=1e-5, atol=1e-7)
        assert job["logits"] is False


def test_info_describes_the_file(files, tmp_path):
    out = str(tmp_path / "out.h5")
    batch.run(files["keras"], files["npy"], "saliency", out, progress=False)
    code, output = invoke("info", out)
    assert code == 0
    assert f"complete, {len(files['x'])} of {len(files['x'])} rows done" in output
    assert "attributions/saliency: float32 (120, 6)" in output and "tensorflow" in output
    description = batch.info(out)
    assert description["datasets"]["attributions/saliency"]["compression"] == "gzip"
    assert description["attrs"]["started"] <= description["attrs"]["finished"]


def test_tf_keras_model_in_memory_matches_its_h5_file(files):
    """The .h5 file is read by Keras 3 in safe mode; the numbers are those of the tf_keras model."""
    x = files["x"][:10]
    np.testing.assert_allclose(deepexplain.get_explainer("elrp", tf_keras_model()).run(x),
                               deepexplain.get_explainer("elrp", batch.models.load_model(files["h5"])).run(x),
                               rtol=1e-5, atol=1e-6)


def lambda_model_file(path):
    import keras

    model = keras.Sequential([keras.Input((6,)), keras.layers.Lambda(lambda x: x * 2.0), keras.layers.Dense(3)])
    model.save(path)
    return str(path)


@pytest.mark.parametrize("case", ["method", "data", "shape", "param", "unsafe", "labels", "targets"])
def test_errors_are_one_line_with_an_exit_code(files, tmp_path, case):
    from batch_models import invoke as run

    out = str(tmp_path / "out.h5")
    base = {"--model": files["keras"], "--data": files["npy"], "--method": "saliency", "--out": out}
    expected = {
        "method": ("--method", "nope", "method: expected one of"),
        "data": ("--data", str(tmp_path / "missing.npy"), "data: no such file"),
        "shape": ("--data", files["wrong"],
                  "data: expected rows of shape (6,) for the model's input, got rows of shape (4,)"),
        "param": ("--param", "steps=5", "param: no method among ['saliency'] takes ['steps']"),
        "unsafe": ("--model", lambda_model_file(tmp_path / "lambda.keras"), "model: cannot load"),
        "labels": ("--targets", "labels", "labels: --targets labels needs --labels FILE"),
        "targets": ("--targets", "index:7", "targets: expected output units in [0, 3)"),
    }[case]
    args = dict(base)
    args[expected[0]] = expected[1]
    flat = ["explain"] + [item for pair in args.items() for item in pair] + ["--quiet"]
    code, _, stderr = run(flat)
    assert code == 3, stderr
    assert stderr.startswith("deepexplain: error: ") and stderr.count("\n") == 1, stderr
    assert expected[2] in stderr
    assert "Traceback" not in stderr
    if case == "unsafe":
        assert "Lambda" in stderr
    with pytest.raises(ValueError):  # InputError, DataError: ValueErrors
        CliRunner().invoke(main, flat + ["--debug"], catch_exceptions=False)


def test_array_parameters_from_files(files, tmp_path):
    baseline = np.linspace(-1, 1, 6).astype(np.float32)
    np.save(tmp_path / "baseline.npy", baseline)  # one sample, no batch dimension
    out = str(tmp_path / "out.h5")
    code, output = invoke("explain", "--model", files["keras"], "--data", files["npy"], "--method", "deeplift",
                          "--param", f"baseline=@{tmp_path / 'baseline.npy'}", "--out", out, "--quiet")
    assert code == 0, output
    datasets, job = read_all(out)
    expected = reference(keras3_model(), files["x"], "deeplift", baseline=baseline)
    np.testing.assert_allclose(datasets["attributions/deeplift"], expected, rtol=1e-5, atol=1e-6)
