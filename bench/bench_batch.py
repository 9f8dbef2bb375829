"""Batch runs (``deepexplain explain``) against an in-process ``explainer.run``, in one run.

1. 10,000 digit images (8x8x1, scikit-learn's digits repeated), a small CNN, ``intgrad``
   with ``steps=50``: the command's end-to-end rows/s (load the model, hash the files, read
   the chunks, explain, commit every chunk with fsync, finalise the compressed file), called
   in this process, against ``explainer.run`` over the same arrays already in memory
   (compiled beforehand, targets given). Target: ratio >= 0.85.
2. The same run on a local Dask cluster of 1 worker (started beforehand, as a real cluster
   is) against the single-process run. Target: ratio >= 0.8.
3. Peak memory (max RSS of a fresh ``deepexplain explain`` process, ``saliency``) on 10,000
   and on 100,000 digit images of 32x32: the chunk, not the file, bounds it.

Run: python bench/bench_batch.py [SECTION ...]   (sections 1 2 3, all by default)
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from skimage.transform import resize  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from timing import paired_best_times  # noqa: E402

import deepexplain  # noqa: E402
from deepexplain import batch  # noqa: E402
from deepexplain.batch.runner import dask_client  # noqa: E402
from deepexplain.cli import main  # noqa: E402

ROWS, STEPS, BATCH, CHUNK = 10_000, 50, 4096, 2048


def digits(rows, size=8):
    images = (load_digits().images / 16.0).astype(np.float32)
    if size != 8:
        images = resize(images, (len(images), size, size), order=1, anti_aliasing=False).astype(np.float32)
    return np.resize(images, (rows, size, size))[..., None]


def small_cnn(size):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((size, size, 1)),
                             keras.layers.Conv2D(16, 3, strides=1 if size == 8 else 2, activation="relu"),
                             keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])


def peak_rss_mb(args):
    """Max RSS (MB) of a fresh ``deepexplain`` process running ``args``."""
    # VmHWM, not ru_maxrss: Linux carries the parent's peak over into the child's ru_maxrss at exec
    code = ("import sys\nfrom deepexplain.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\nprint(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1]) / 1024


def main_bench(work, sections):
    model_path, data = os.path.join(work, "cnn.keras"), os.path.join(work, "digits.npy")
    model = small_cnn(8)
    model.save(model_path)
    xs = digits(ROWS)
    np.save(data, xs)
    ys = np.eye(10, dtype=np.float32)[np.argmax(model.predict(xs, batch_size=BATCH, verbose=0), axis=1)]
    explainer = deepexplain.get_explainer("intgrad", model, steps=STEPS, progress=False)
    out = os.path.join(work, "out.h5")
    args = ["explain", "--model", model_path, "--data", data, "--method", "intgrad", "--param", f"steps={STEPS}",
            "--batch-size", str(BATCH), "--chunk-rows", str(CHUNK), "--out", out, "--overwrite", "--quiet"]

    def command():
        main(args, standalone_mode=False)

    if "1" in sections:
        in_process, end_to_end = paired_best_times(lambda: explainer.run(xs, ys, batch_size=BATCH), command, repeats=3)
        print(f"1. intgrad steps={STEPS}, {ROWS} digits 8x8: in-process explainer.run {ROWS / in_process:,.0f} rows/s, "
              f"deepexplain explain end to end {ROWS / end_to_end:,.0f} rows/s: "
              f"ratio {in_process / end_to_end:.2f} (target >= 0.85)")

    if "2" in sections:
        started = time.perf_counter()
        with dask_client(workers=1) as client:
            client.run(lambda: __import__("tensorflow") and None)
            print(f"   (local cluster of 1 worker started in {time.perf_counter() - started:.1f} s, not counted)")
            dask_out = os.path.join(work, "dask.h5")

            def on_dask():
                batch.run(model_path, data, "intgrad", dask_out, params={"steps": STEPS}, batch_size=BATCH,
                          chunk_rows=CHUNK, overwrite=True, client=client, progress=False)

            single, distributed = paired_best_times(command, on_dask, repeats=3)
        print(f"2. Dask, 1 local worker: {ROWS / distributed:,.0f} rows/s against "
              f"{ROWS / single:,.0f} rows/s in one process: "
              f"ratio {single / distributed:.2f} (target >= 0.8)")

    for rows in (ROWS, 10 * ROWS) if "3" in sections else ():
        path = os.path.join(work, f"digits32_{rows}.npy")
        big = np.lib.format.open_memmap(path, "w+", np.float32, (rows, 32, 32, 1))
        block = digits(1797, 32)
        for start in range(0, rows, len(block)):
            big[start:start + len(block)] = block[:rows - start]
        big.flush()
        del big
        small_cnn(32).save(os.path.join(work, "cnn32.keras"))
        mb = peak_rss_mb(["explain", "--model", os.path.join(work, "cnn32.keras"), "--data", path,
                          "--method", "saliency", "--chunk-rows", "1024",
                          "--out", os.path.join(work, f"mem_{rows}.h5"), "--quiet"])
        print(f"3. saliency on {rows:,} digits 32x32 ({os.path.getsize(path) / 2**20:,.0f} MB of data, "
              f"as much again of attributions): peak memory {mb:,.0f} MB")
        os.remove(path)


if __name__ == "__main__":
    directory = tempfile.mkdtemp(prefix="bench_batch_")
    try:
        main_bench(directory, sys.argv[1:] or ["1", "2", "3"])
    finally:
        shutil.rmtree(directory)
