"""The one command-line convention of the examples: ``--out DIR`` (default ``out``)."""
import argparse
from pathlib import Path


def output_directory(description):
    """Parse ``--out DIR``, create the directory and return it as a Path."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default="out", help="directory for the pictures (default: out)")
    directory = Path(parser.parse_args().out)
    directory.mkdir(parents=True, exist_ok=True)
    return directory
