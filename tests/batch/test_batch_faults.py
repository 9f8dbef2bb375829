"""Faults of the deepexplain command, most run as child processes: two writers of one output,
signals, a full disk, unusable paths, SavedModels that do more than compute, damaged files.
Every test checks that no lock or temporary file is left behind."""
import glob
import os
import signal
import subprocess
import sys
import threading
import time

import h5py
import numpy as np
import pytest
from batch_models import FEATURES, invoke, read_all

from deepexplain import batch
from deepexplain.batch.store import RunFile, file_state

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
CHUNK = 10
METHOD = "grad*input"


def explain_args(model, data, out, *extra):
    return ["explain", "--model", model, "--data", data, "--method", METHOD, "--out", out, "--chunk-rows", str(CHUNK),
            "--quiet", *extra]


def leftovers(directory):
    """The lock and temporary files in ``directory``."""
    return sorted(path for pattern in ("*.lock", "*.tmp-*", "*.final-*")
                  for path in glob.glob(os.path.join(glob.escape(str(directory)), pattern)))


def command(args):
    """``deepexplain ARGS`` in a child process: ``(exit code, stderr)``."""
    done = subprocess.run([sys.executable, "-m", "deepexplain.cli", *args], capture_output=True, text=True,
                          timeout=240, env=ENV)
    return done.returncode, done.stderr


class Paused:
    """``deepexplain ARGS`` in a child process, paused at ``where`` (see pause_driver.py)."""

    def __init__(self, where, args, marker):
        self.marker = str(marker)
        driver = [sys.executable, os.path.join(HERE, "pause_driver.py"), where, self.marker, "--"]
        self.process = subprocess.Popen(driver + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=ENV)
        deadline = time.monotonic() + 240
        while not os.path.exists(self.marker):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"the run ended before pausing: {self.process.communicate()}")
            time.sleep(0.05)
        self.pid = self.process.pid

    def finish(self):
        _, stderr = self.process.communicate(timeout=240)
        return self.process.returncode, stderr


def assert_same_file(path, reference):
    got, got_job = read_all(path)
    expected, expected_job = read_all(reference)
    assert got_job == expected_job and sorted(got) == sorted(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


@pytest.fixture
def reference(files, tmp_path):
    """The uninterrupted run's file."""
    path = str(tmp_path / "reference.h5")
    batch.run(files["keras"], files["npy"], METHOD, path, chunk_rows=CHUNK, progress=False)
    return path


class Stop(Exception):
    pass


def all_rows_done(files, out, monkeypatch):
    """A run file whose rows are all committed, not finalised (as a run killed at its end leaves it)."""
    def stop(self):
        raise Stop

    with monkeypatch.context() as patch:
        patch.setattr(RunFile, "finalise", stop)
        with pytest.raises(Stop):
            batch.run(files["keras"], files["npy"], METHOD, out, chunk_rows=CHUNK, progress=False)
    assert file_state(out)[0] == "running"


def second_writers_are_refused(files, out, owner_pid):
    """Every kind of second run on ``out`` exits 4 naming ``owner_pid``, and leaves ``out`` as it is."""
    before = open(out, "rb").read()
    for second in ([], ["--resume"], ["--overwrite"]):
        code, _, stderr = invoke(explain_args(files["keras"], files["npy"], out, *second))
        assert code == 4, stderr
        assert f"out: {out} is being written by another process (PID {owner_pid})" in stderr
    code, _, stderr = invoke(["evaluate", "--model", files["keras"], "--data", files["npy"], "--attributions", out])
    assert code == 4 and f"(PID {owner_pid})" in stderr, stderr
    assert open(out, "rb").read() == before


def test_a_second_writer_is_refused_and_a_killed_owner_resumes(files, tmp_path, reference):
    """The owner is a child process paused while finalising; then it is killed (SIGKILL)."""
    out = str(tmp_path / "out.h5")
    owner = Paused("finalise", explain_args(files["keras"], files["npy"], out), tmp_path / "marker")
    second_writers_are_refused(files, out, owner.pid)
    code, stderr = command(explain_args(files["keras"], files["npy"], out, "--overwrite"))
    assert code == 4 and f"(PID {owner.pid})" in stderr, stderr
    assert leftovers(tmp_path) == sorted([out + ".lock", f"{out}.final-{owner.pid}"])
    owner.process.kill()
    assert owner.finish()[0] == -signal.SIGKILL
    assert leftovers(tmp_path) == sorted([out + ".lock", f"{out}.final-{owner.pid}"])
    assert file_state(out)[::2] == ("running", len(files["x"]))
    code, _, stderr = invoke(explain_args(files["keras"], files["npy"], out, "--resume"))
    assert code == 0, stderr
    assert_same_file(out, reference)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("first", ["resume", "overwrite"])
def test_a_resume_or_overwrite_owns_the_output_until_it_is_complete(files, tmp_path, reference, monkeypatch, first):
    """The owner runs in a thread of this process, paused while finalising."""
    out = str(tmp_path / "out.h5")
    if first == "resume":
        all_rows_done(files, out, monkeypatch)
    else:
        batch.run(files["keras"], files["npy"], "saliency", out, chunk_rows=CHUNK, progress=False)
    paused, go_on, result = threading.Event(), threading.Event(), []
    copy = RunFile._copy_compressed

    def pausing_copy(self, target):
        paused.set()
        go_on.wait(120)
        return copy(self, target)

    def own():
        try:
            result.append(batch.run(files["keras"], files["npy"], METHOD, out, chunk_rows=CHUNK, progress=False,
                                    **{first: True}))
        except BaseException as error:
            result.append(error)
            paused.set()

    monkeypatch.setattr(RunFile, "_copy_compressed", pausing_copy)
    owner = threading.Thread(target=own)
    owner.start()
    try:
        assert paused.wait(120) and not result, result
        second_writers_are_refused(files, out, os.getpid())
    finally:
        go_on.set()
        owner.join(120)
    assert result == [out]
    assert_same_file(out, reference)
    assert leftovers(tmp_path) == []


def signalling(function, signum, after):
    """``function``, with ``signum`` sent to this process before it runs (or after, when ``after``) the first time."""
    sent = []

    def wrapper(*args):
        if not after and not sent:
            sent.append(os.kill(os.getpid(), signum))
        value = function(*args)
        if after and not sent:
            sent.append(os.kill(os.getpid(), signum))
        return value

    return wrapper


@pytest.mark.parametrize("signum, where", [(signal.SIGINT, "_copy_compressed"), (signal.SIGTERM, "commit")])
def test_an_interrupted_run_cleans_up_and_resumes_to_the_uninterrupted_file(files, tmp_path, reference, monkeypatch,
                                                                             signum, where):
    out = str(tmp_path / "out.h5")
    monkeypatch.setattr(RunFile, where, signalling(getattr(RunFile, where), signum, after=where == "commit"))
    code, _, stderr = invoke(explain_args(files["keras"], files["npy"], out))
    assert (code, stderr) == (130, "deepexplain: error: interrupted\n")
    assert leftovers(tmp_path) == []
    state, _, rows_done, n_rows = file_state(out)
    assert state == "running" and rows_done == (CHUNK if where == "commit" else n_rows)
    monkeypatch.undo()
    code, _, stderr = invoke(explain_args(files["keras"], files["npy"], out, "--resume"))
    assert code == 0, stderr
    assert_same_file(out, reference)
    assert leftovers(tmp_path) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs (root only; the tests using it are skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                                           capture_output=True).returncode:
        pytest.skip("mounting a tmpfs is not allowed here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def rows_file(tmp_path, n_rows):
    path = str(tmp_path / f"x{n_rows}.npy")
    np.save(path, np.random.default_rng(3).normal(size=(n_rows, FEATURES)).astype(np.float32))
    return path


def test_a_disk_full_at_creation_is_reported_and_leaves_nothing(files, tmp_path, small_disk):
    out = str(small_disk / "out.h5")  # 100,000 rows: 3.2 MB allocated at creation, on 2 MiB
    args = explain_args(files["keras"], rows_file(tmp_path, 100_000), out, "--chunk-rows", "20000")
    code, _, stderr = invoke(args)
    assert code == 6, stderr
    assert stderr.startswith(f"deepexplain: error: out: no space left on the device of {out} (") and "needed" in stderr
    assert "Traceback" not in stderr and stderr.count("\n") == 1
    assert os.listdir(small_disk) == []


def test_a_disk_full_at_the_final_step_keeps_the_rows_and_resumes(files, tmp_path, small_disk):
    """A child process: HDF5 used to crash (SIGSEGV) on a disk full while finalising."""
    out = str(small_disk / "out.h5")  # 40,000 rows: 1.3 MB while running, as much again to finalise
    data = rows_file(tmp_path, 40_000)
    code, stderr = command(explain_args(files["keras"], data, out, "--chunk-rows", "20000"))
    assert code == 6, (code, stderr[-3000:])
    assert f"no space left on the device of {out} to finalise it" in stderr and "40000 rows are kept" in stderr
    assert os.listdir(small_disk) == ["out.h5"]
    assert file_state(out)[::2] == ("running", 40_000)
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    batch.run(files["keras"], data, METHOD, out, chunk_rows=20000, resume=True, progress=False)
    reference = str(tmp_path / "reference.h5")
    batch.run(files["keras"], data, METHOD, reference, chunk_rows=20000, progress=False)
    assert_same_file(out, reference)
    assert os.listdir(small_disk) == ["out.h5"]


def read_only_directory(tmp_path):
    """A directory no process may write in: a read-only tmpfs for root, mode 0555 for others."""
    directory = tmp_path / "read_only"
    directory.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(directory)],
                          capture_output=True).returncode:
            pytest.skip("root, and mounting a read-only tmpfs is not allowed here")
    else:
        directory.chmod(0o555)
    return directory


@pytest.mark.parametrize("case", ["missing directory", "read-only directory", "missing model", "missing explainer"])
def test_unusable_paths_are_refused_before_any_computation(files, tmp_path, monkeypatch, case):
    def computed(*args):
        raise AssertionError("a chunk was computed")

    monkeypatch.setattr(batch.runner, "compute_chunk", computed)
    out = str(tmp_path / "out.h5")
    if case == "missing directory":
        out = str(tmp_path / "nowhere" / "out.h5")
        args, code = explain_args(files["keras"], files["npy"], out), 2
        message = f"the directory {tmp_path / 'nowhere'}"
    elif case == "read-only directory":
        directory = read_only_directory(tmp_path)
        out = str(directory / "out.h5")
        args, code = explain_args(files["keras"], files["npy"], out), 2
        message = f"cannot write in the directory {directory}"
    elif case == "missing model":
        args, code, message = explain_args(str(tmp_path / "none.keras"), files["npy"], out), 3, "model: no such file"
    else:
        args = ["cxplain", "explain", "--explainer", str(tmp_path / "none"), "--data", files["npy"], "--out", out]
        code, message = 3, "explainer: expected a directory"
    try:
        got, _, stderr = invoke(args)
    finally:
        if case == "read-only directory" and os.geteuid() == 0:
            subprocess.run(["umount", "-l", str(directory)], capture_output=True)
    assert got == code and message in stderr and "Traceback" not in stderr, stderr
    assert not os.path.exists(out) and leftovers(tmp_path) == []


def saved_module(path, effect, weights):
    """A SavedModel computing ``softmax(x @ weights)`` whose serving function also has ``effect``."""
    import tensorflow as tf

    class Module(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(weights)

        @tf.function(input_signature=[tf.TensorSpec([None, FEATURES], tf.float32)])
        def __call__(self, x):
            effect(x)
            return tf.nn.softmax(tf.matmul(x, self.w))

    module = Module()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.__call__})
    return str(path)


def effects(written):
    import tensorflow as tf

    return {
        "WriteFile": lambda x: tf.io.write_file(written, "written by the model"),
        "EagerPyFunc": lambda x: tf.py_function(lambda: open(written, "w").close(), [], []),
        "PrintV2": lambda x: tf.print(x, output_stream=f"file://{written}"),
    }


@pytest.mark.parametrize("op", ["WriteFile", "EagerPyFunc", "PrintV2"])
def test_saved_models_doing_more_than_computing_are_refused(files, tmp_path, op):
    written = str(tmp_path / "written.txt")
    weights = np.random.default_rng(4).normal(size=(FEATURES, 3)).astype(np.float32)
    model = saved_module(tmp_path / "model", effects(written)[op], weights)
    out = str(tmp_path / "out.h5")
    code, _, stderr = invoke(explain_args(model, files["npy"], out))
    assert code == 3, stderr
    assert f"model: the SavedModel {model} holds operations that are not computations on tensors" in stderr
    assert f"{op} (in " in stderr and "--trust-model-code" in stderr
    assert not os.path.exists(written) and not os.path.exists(out) and leftovers(tmp_path) == []
    if op != "WriteFile":
        return
    for other in (["cem", "--model", model, "--data", files["npy"], "--mode", "PN", "--out", out],
                  ["cxplain", "fit", "--model", model, "--data", files["npy"], "--labels", files["labels_npy"],
                   "--out", str(tmp_path / "explainer")]):
        code, _, stderr = invoke(other)
        assert code == 3 and "WriteFile (in " in stderr, stderr
    assert not os.path.exists(written) and os.listdir(tmp_path) == ["model"]
    code, _, stderr = invoke(explain_args(model, files["npy"], out, "--trust-model-code"))
    assert code == 0, stderr
    assert open(written).read() == "written by the model"
    datasets, _ = read_all(out)
    x = files["x"]
    targets = np.argmax(x @ weights, axis=1)
    np.testing.assert_array_equal(datasets["targets"], targets)
    np.testing.assert_allclose(datasets[f"attributions/{METHOD}"], x * weights[:, targets].T, rtol=1e-5, atol=1e-6)
    evaluate = ["evaluate", "--model", model, "--data", files["npy"], "--attributions", out, "--metric",
                "completeness", "--quiet"]
    code, _, stderr = invoke(evaluate)
    assert code == 3 and "WriteFile (in " in stderr and "--trust-model-code" in stderr, stderr
    code, _, stderr = invoke(evaluate + ["--trust-model-code"])
    assert code == 0, stderr


def test_the_checkpoint_functions_of_every_saved_model_are_accepted(files):
    from deepexplain.batch.graph_ops import untrusted_ops

    assert untrusted_ops(files["savedmodel"]) == {}


def test_a_complete_file_with_a_corrupted_chunk_is_reported(files, tmp_path, reference):
    with h5py.File(reference, "r") as f:
        chunk = f[f"attributions/{METHOD}"].id.get_chunk_info(1)
    with open(reference, "r+b") as f:
        f.seek(chunk.byte_offset + chunk.size // 2)
        f.write(b"\x13\x37\x13\x37")
    before = open(reference, "rb").read()
    code, _, stderr = invoke(explain_args(files["keras"], files["npy"], reference, "--resume"))
    assert code == 5, stderr
    assert f"out: {reference} is corrupted: rows 10-19 cannot be read" in stderr and "Traceback" not in stderr
    code, _, stderr = invoke(["evaluate", "--model", files["keras"], "--data", files["npy"],
                              "--attributions", reference])
    assert code == 5 and "rows 10-19 cannot be read" in stderr, stderr
    assert open(reference, "rb").read() == before
    assert leftovers(tmp_path) == []


class Unpickled:
    """Creates ``path`` when unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (self.path, "w")


def test_pickled_data_and_lambda_layers_are_refused_without_running(files, tmp_path):
    created = str(tmp_path / "created.txt")
    np.save(tmp_path / "pickled.npy", np.array([Unpickled(created)], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "pickled.npz", x=np.array([Unpickled(created)], dtype=object))
    import tf_keras

    model = tf_keras.Sequential([tf_keras.Input((FEATURES,)), tf_keras.layers.Lambda(lambda x: x * 2.0),
                                 tf_keras.layers.Dense(3)])
    model.save(tmp_path / "lambda.h5")
    out = str(tmp_path / "out.h5")
    for model_path, data, message in [(files["keras"], str(tmp_path / "pickled.npy"), "data: cannot read"),
                                      (files["keras"], str(tmp_path / "pickled.npz:x"), "data: expected a C-ordered"),
                                      (str(tmp_path / "lambda.h5"), files["npy"], "model: cannot load")]:
        code, _, stderr = invoke(explain_args(model_path, data, out, "--trust-model-code"))
        assert code == 3 and message in stderr, stderr
    assert "Lambda" in stderr
    assert not os.path.exists(created) and not os.path.exists(out) and leftovers(tmp_path) == []


def test_only_the_temporaries_of_dead_processes_are_removed(tmp_path):
    from deepexplain.batch.lock import remove_stale_temporaries

    ended = subprocess.Popen(["true"])
    ended.wait()
    out = str(tmp_path / "out[1].h5")  # glob characters in the name
    names = [f"{out}.tmp-{ended.pid}", f"{out}.final-{ended.pid}", f"{out}.tmp-{os.getppid()}", f"{out}.tmp-x",
             str(tmp_path / f"other.h5.tmp-{ended.pid}")]
    for name in names:
        open(name, "w").close()
    assert sorted(remove_stale_temporaries(out)) == sorted(names[:2])
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(n) for n in names[2:])
