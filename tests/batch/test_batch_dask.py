"""A local Dask cluster (loopback only) gives the same file as one process, setting each job up
once per worker."""
import numpy as np
from batch_models import read_all

from deepexplain import batch
from deepexplain.batch.worker import setup_counts


def test_two_local_workers_give_the_single_process_file(files, tmp_path):
    from deepexplain.batch.runner import dask_client

    params = {"steps": 16, "seed": 3, "samples": 2}
    single, distributed = str(tmp_path / "single.h5"), str(tmp_path / "dask.h5")
    methods = ["intgrad", "shapley_sampling"]
    batch.run(files["keras"], files["npy"], methods, single, params=params, chunk_rows=15, progress=False)
    with dask_client(workers=2) as client:  # a local cluster on 127.0.0.1, shut down on leaving
        batch.run(files["keras"], files["npy"], methods, distributed, params=params, chunk_rows=15, client=client,
                  progress=False)
        counts = client.run(setup_counts)
        resumed = str(tmp_path / "resumed.h5")
        batch.run(files["keras"], files["npy"], "saliency", resumed, chunk_rows=15, client=client, progress=False)
    assert len(counts) == 2
    assert all(sum(c.values()) == 1 for c in counts.values()), counts  # each worker set the job up once, for 8 chunks
    got, got_job = read_all(distributed)
    expected, expected_job = read_all(single)
    assert got_job == expected_job
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
