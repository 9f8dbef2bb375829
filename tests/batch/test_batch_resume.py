"""A run killed (SIGKILL) at many points and resumed gives the uninterrupted run's file; resumes
of other jobs, and damaged files, are refused without touching the file."""
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest
from batch_models import invoke, read_all

from deepexplain import batch
from deepexplain.batch.store import RunFile

CHUNK = 10
METHODS = ["--method", "intgrad", "--method", "shapley_sampling", "--param", "steps=64", "--param", "seed=5",
           "--param", "samples=3"]


def explain_args(files, out, *extra):
    return ["explain", "--model", files["keras"], "--data", files["npy"], *METHODS, "--out", out,
            "--chunk-rows", str(CHUNK), "--quiet", *extra]


def killed_run(files, out, mode, count, resume):
    driver = os.path.join(os.path.dirname(__file__), "kill_driver.py")
    args = explain_args(files, out, *(["--resume"] if resume else []))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, driver, mode, str(count), "--", *args], capture_output=True, text=True,
                          timeout=240, env=env)
    return done.returncode, done.stderr


def test_killed_runs_resume_to_the_uninterrupted_file(files, tmp_path):
    reference = str(tmp_path / "reference.h5")
    batch.run(files["keras"], files["npy"], ["intgrad", "shapley_sampling"], reference,
              params={"steps": 64, "seed": 5, "samples": 3}, chunk_rows=CHUNK, progress=False)
    out = str(tmp_path / "out.h5")
    rng = np.random.default_rng(0)
    # five kills: a chunk half written, rows written but not flushed, rows_done written but not
    # flushed, another write, and a random moment of the run
    plan = [("write", 7), ("flush", 2 * int(rng.integers(1, 4)) + 1), ("flush", 2 * int(rng.integers(1, 4))),
            ("write", int(rng.integers(5, 12))), ("time", int(rng.integers(0, 250)))]
    kills, previous_done = 0, 0
    for index, (mode, count) in enumerate(plan):
        code, stderr = killed_run(files, out, mode, count, resume=index > 0)
        assert code == -9, stderr
        kills += 1
        state, _, rows_done, n_rows = batch.store.file_state(out)
        assert rows_done % CHUNK == 0 or rows_done == n_rows
        assert rows_done >= previous_done
        previous_done = rows_done
    assert kills >= 5
    batch.run(files["keras"], files["npy"], ["intgrad", "shapley_sampling"], out, resume=True,
              params={"steps": 64, "seed": 5, "samples": 3}, chunk_rows=CHUNK, progress=False)
    got, got_job = read_all(out)
    expected, expected_job = read_all(reference)
    assert got_job == expected_job
    assert sorted(got) == sorted(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    assert got["rows_done"] == len(files["x"])


def test_commits_never_change_hdf5_metadata(files, tmp_path):
    """Only the preallocated raw data of the datasets changes while a run goes on."""
    path = str(tmp_path / "run.h5")
    outputs = {"attributions/m": ((6,), np.float32, {}), "targets": ((), np.int64, {})}
    run = RunFile.create(path, {"kind": "test"}, 40, CHUNK, outputs, {}, fsync=False)
    extents = []
    for name in ["attributions/m", "targets", "chunk_crc", "rows_done"]:
        dataset = run.file[name]
        extents.append((dataset.id.get_offset(), dataset.id.get_storage_size()))
    run.file.flush()
    before = np.fromfile(path, np.uint8)
    for start in range(0, 30, CHUNK):
        run.commit(start, start + CHUNK, {"attributions/m": np.full((CHUNK, 6), start + 1.0, np.float32),
                                          "targets": np.arange(start, start + CHUNK)})
    after = np.fromfile(path, np.uint8)
    assert len(after) == len(before)
    outside = np.ones(len(before), bool)
    for offset, size in extents:
        outside[offset:offset + size] = False
    assert np.array_equal(before[outside], after[outside])
    assert not np.array_equal(before[~outside], after[~outside])
    assert run.rows_done == 30
    run.close()


def test_resume_of_another_job_is_refused(files, tmp_path):
    out = str(tmp_path / "out.h5")
    code, _, stderr = invoke(explain_args(files, out))
    assert code == 0, stderr
    before = open(out, "rb").read()
    changed = [a.replace("steps=64", "steps=32") for a in explain_args(files, out, "--resume")]
    code, _, stderr = invoke(changed)
    assert code == 4
    assert stderr.startswith("deepexplain: error: out: cannot resume") and stderr.count("\n") == 1
    assert "steps" in stderr and "Traceback" not in stderr
    with pytest.raises(batch.OutputConflict, match="data_sha256"):
        batch.run(files["keras"], files["hdf5"], ["intgrad", "shapley_sampling"], out,
                  params={"steps": 64, "seed": 5, "samples": 3}, chunk_rows=CHUNK, resume=True, progress=False)
    with pytest.raises(batch.OutputConflict, match="exists; pass --resume"):
        batch.run(files["keras"], files["npy"], "saliency", out, progress=False)
    assert open(out, "rb").read() == before


def unfinished_run(files, path, rows):
    """A run file with ``rows`` rows done, as a killed run leaves it."""
    job = batch.ExplainJob.make(files["keras"], "saliency")
    source = batch.open_data(files["npy"])
    compute = job.setup()
    outputs = compute(source.read(0, CHUNK), None)
    identity = dict(job.identity(), data_sha256=source.sha256(), data_shape=list(source.shape), chunk_rows=CHUNK,
                    labels_sha256=None)
    shapes = {k: (v.shape[1:], v.dtype, {}) for k, v in outputs.items()}
    import json

    identity = json.loads(json.dumps(identity, sort_keys=True))
    run = RunFile.create(path, identity, len(source), CHUNK, shapes, {}, fsync=False)
    for start in range(0, rows, CHUNK):
        run.commit(start, start + CHUNK, compute(source.read(start, start + CHUNK), None))
    offset = run.file["attributions/saliency"].id.get_offset()
    run.close()
    return offset


def test_damaged_files_are_reported_and_left_alone(files, tmp_path):
    truncated = str(tmp_path / "truncated.h5")
    unfinished_run(files, truncated, 30)
    with open(truncated, "r+b") as f:
        f.truncate(os.path.getsize(truncated) // 2)
    corrupted = str(tmp_path / "corrupted.h5")
    offset = unfinished_run(files, corrupted, 30)
    with open(corrupted, "r+b") as f:
        f.seek(offset + 4 * 6 * 12)  # inside row 12, a done chunk
        f.write(b"\x13\x37\x13\x37")
    garbage = str(tmp_path / "garbage.h5")
    with open(garbage, "wb") as f:
        f.write(b"not an HDF5 file" * 100)
    for path, message in [(truncated, "not a readable HDF5 file"), (garbage, "not a readable HDF5 file"),
                          (corrupted, "rows 10-19 do not match their checksum")]:
        before = open(path, "rb").read()
        with pytest.raises(batch.DamagedOutput, match=message):
            batch.run(files["keras"], files["npy"], "saliency", path, chunk_rows=CHUNK, resume=True, progress=False)
        with pytest.raises(batch.OutputConflict):
            batch.run(files["keras"], files["npy"], "saliency", path, chunk_rows=CHUNK, progress=False)
        assert open(path, "rb").read() == before
    code, _, stderr = invoke(["info", truncated])
    assert code == 5 and "not a readable HDF5 file" in stderr and "Traceback" not in stderr


def test_an_unfinished_file_resumes_and_info_shows_progress(files, tmp_path):
    path = str(tmp_path / "partial.h5")
    unfinished_run(files, path, 40)
    description = batch.info(path)
    assert (description["state"], description["rows_done"], description["n_rows"]) == ("running", 40, len(files["x"]))
    batch.run(files["keras"], files["npy"], "saliency", path, chunk_rows=CHUNK, resume=True, progress=False)
    reference = str(tmp_path / "reference.h5")
    batch.run(files["keras"], files["npy"], "saliency", reference, chunk_rows=CHUNK, progress=False)
    got, _ = read_all(path)
    expected, _ = read_all(reference)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name])
    with h5py.File(path) as f:
        assert f.attrs["state"] == "complete" and f["attributions/saliency"].compression == "gzip"
