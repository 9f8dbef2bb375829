"""Suite-wide settings, and the TF1 migration modes.

``python -m pytest tests`` runs everything in one eager process. Session-style tests (marked
``session``; the ``graph`` parameter of the ``style`` fixture is) run again in processes ported
the way users port TF1 scripts:

    python -m pytest tests --tf1 disable_v2_behavior      # v1 TensorShape, Dimension objects
    python -m pytest tests --tf1 disable_eager_execution  # graph mode, v2 shapes

where only the ``session`` tests are collected.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

TF1_MODES = ("disable_v2_behavior", "disable_eager_execution")


def pytest_addoption(parser):
    parser.addoption(
        "--tf1", choices=TF1_MODES, default=None,
        help="port the process to TF1 with tf.compat.v1.<mode>() and run only the session-style tests",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "session: a session-style test, also run under --tf1")
    mode = config.getoption("--tf1")
    if mode:
        import tensorflow as tf

        getattr(tf.compat.v1, mode)()


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--tf1"):
        return
    kept = [item for item in items if item.get_closest_marker("session")]
    deselected = [item for item in items if not item.get_closest_marker("session")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = kept
