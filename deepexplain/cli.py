"""The ``deepexplain`` command: batch explainer runs, their evaluation and inspection.

    deepexplain explain --model M --data D --method NAME [--param k=v ...] --out OUT.h5
    deepexplain cem --model M --data D --mode PN|PP [--param k=v ...] --out OUT.h5
    deepexplain cxplain fit --model M --data D --labels L --out DIR
    deepexplain cxplain explain --explainer DIR --data D --out OUT.h5
    deepexplain evaluate --model M --data D --attributions OUT.h5 [--metric NAME ...] [--plot FIG.png]
    deepexplain info OUT.h5

Errors are one line on stderr (``--debug`` shows the traceback); the exit codes are listed in
:mod:`deepexplain.batch.errors`. SIGTERM stops a run as Ctrl-C does (exit 130, temporary files
removed, committed rows kept).
"""
import functools
import json
import signal
import sys

import click

from .batch.errors import exit_code
from .methods import METHODS


def _value(text):
    if text.startswith("@"):
        from .batch.sources import open_data

        source = open_data(text[1:])
        try:
            return source.read(0, len(source)).tolist()
        finally:
            source.close()
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_params(pairs):
    """``["k=v", "method.k=v"]`` as a dict: values parsed as JSON when they are, else strings;
    ``k=@file.npy`` (any data spec) reads an array, e.g. a baseline or background samples."""
    params = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--param")
        scope, dot, name = key.rpartition(".")
        if dot:
            params.setdefault(scope, {})[name] = _value(text)
        else:
            params[key] = _value(text)
    return params


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def reports_errors(command):
    """Turn exceptions into one line on stderr and an exit code, unless ``--debug``; SIGTERM
    interrupts like Ctrl-C, so that every exit path cleans up."""

    @click.option("--debug", is_flag=True, help="Show the traceback of an error.")
    @functools.wraps(command)
    def wrapper(*args, debug=False, **kwargs):
        try:
            previous = signal.signal(signal.SIGTERM, _interrupt)
        except ValueError:  # not the main thread: leave SIGTERM alone
            previous = None
        try:
            return command(*args, **kwargs)
        except click.exceptions.ClickException:
            raise
        except (Exception, KeyboardInterrupt) as error:
            if debug:
                raise
            message = "interrupted" if isinstance(error, KeyboardInterrupt) else " ".join(str(error).split())
            click.echo(f"deepexplain: error: {message}", err=True)
            sys.exit(exit_code(error))
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    return wrapper


trust_option = click.option(
    "--trust-model-code", is_flag=True,
    help="Load a SavedModel even if its graphs hold operations that are not computations on tensors (file or "
         "network I/O, Python calls): only for models from an author you trust.")


def run_options(command):
    """The options every batch run shares."""
    for decorator in reversed([
        click.option("--data", "data", required=True,
                     help="Rows to explain: file.npy, file.npz[:NAME] or file.h5:/dataset."),
        click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The HDF5 file to write."),
        click.option("--chunk-rows", default=1024, show_default=True, type=click.IntRange(min=1),
                     help="Rows read, computed and committed at a time (the unit of resume)."),
        click.option("--resume", is_flag=True, help="Continue an interrupted run of the same job in OUT."),
        click.option("--overwrite", is_flag=True, help="Replace an existing OUT."),
        click.option("--workers", type=click.IntRange(min=1),
                     help="Run on a local Dask cluster of N worker processes."),
        click.option("--scheduler", help="Run on the Dask cluster at ADDRESS (tcp://host:port)."),
        click.option("--quiet", is_flag=True, help="No progress bar."),
    ]):
        command = decorator(command)
    return command


def _run(job, data, out, labels, chunk_rows, resume, overwrite, workers, scheduler, quiet):
    from .batch.runner import run_job

    run_job(job, data, out, labels, chunk_rows, resume, overwrite, workers, scheduler, progress=not quiet)
    if not quiet:
        click.echo(f"wrote {out}")


EXIT_CODES = ("Exit codes: 0 done, 1 internal error (a bug), 2 usage error (or an unusable --out directory), 3 bad "
              "input, 4 output conflict (OUT exists, another job, or another process writing OUT), 5 damaged output, "
              "6 disk full (committed rows kept), 130 interrupted.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES)
@click.version_option(package_name="deepexplain")
def main():
    """Batch attribution runs over saved models and data files, resumable, on one machine or Dask."""


@main.command()
@click.option("--model", required=True, help="A .keras file, a tf_keras/Keras 2 .h5 file or a SavedModel directory.")
@click.option("--method", "methods", required=True, multiple=True,
              help=f"A deepexplain method (repeat for several): {', '.join(sorted(METHODS))}.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A method parameter, VALUE as JSON (steps=50, baseline=0.5) or @FILE for an array "
                   "(baseline=@b.npy); METHOD.KEY=VALUE for one method.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Most rows per model call.")
@click.option("--targets", default="predicted", show_default=True,
              help="predicted, labels (with --labels), index:K or all.")
@click.option("--labels", help="Class indices or one-hot rows per data row (a data spec).")
@click.option("--logits/--probabilities", default=True, show_default=True,
              help="Explain the pre-softmax output of a model ending in a softmax, or the probabilities.")
@trust_option
@run_options
@reports_errors
def explain(model, methods, params, batch_size, targets, labels, logits, trust_model_code, data, out, chunk_rows,
            resume, overwrite, workers, scheduler, quiet):
    """Attributions of every row of DATA by METHOD, written to OUT."""
    from .batch.jobs import ExplainJob

    job = ExplainJob.make(model, list(methods), parse_params(params), targets, logits, batch_size, trust_model_code)
    _run(job, data, out, labels, chunk_rows, resume, overwrite, workers, scheduler, quiet)


@main.command()
@click.option("--model", required=True, help="A saved Keras model returning class probabilities.")
@click.option("--mode", required=True, type=click.Choice(["PN", "PP"]), help="Pertinent negatives or positives.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A CEM parameter (kappa, beta, feature_range, no_info_val, max_iterations, c_init, c_steps, ...).")
@click.option("--targets", default="predicted", show_default=True, type=click.Choice(["predicted", "labels"]))
@click.option("--labels", help="Class indices per data row (a data spec), with --targets labels.")
@trust_option
@run_options
@reports_errors
def cem(model, mode, params, targets, labels, trust_model_code, data, out, chunk_rows, resume, overwrite, workers,
        scheduler, quiet):
    """Contrastive explanations (cem.CEM) of every row of DATA: the PN or PP, whether one was
    found, and the predictions, per row."""
    from .batch.jobs import CemJob
    from .batch.sources import open_data

    source = open_data(data)
    row_shape = source.shape[1:]
    source.close()
    job = CemJob.make(model, mode, row_shape, parse_params(params), targets, trust_model_code)
    _run(job, data, out, labels, chunk_rows, resume, overwrite, workers, scheduler, quiet)


@main.group()
def cxplain():
    """Fit a CXPlain explainer, or explain data with a saved one."""


@cxplain.command("fit")
@click.option("--model", required=True, help="The saved Keras model to explain.")
@click.option("--data", required=True, help="Training rows (a data spec; loaded whole for fitting).")
@click.option("--labels", required=True, help="Their class indices or one-hot rows (a data spec).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to save the explainer in.")
@click.option("--builder", default="mlp", show_default=True, type=click.Choice(["mlp", "unet"]))
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="An explanation-model builder parameter (num_layers, num_units, batch_size, num_epochs, ...).")
@click.option("--num-models", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--loss", default="categorical_crossentropy", show_default=True)
@click.option("--random-state", type=int)
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT directory.")
@trust_option
@click.option("--quiet", is_flag=True)
@reports_errors
def cxplain_fit(model, data, labels, out, builder, params, num_models, loss, random_state, overwrite, trust_model_code,
                quiet):
    """Fit a CXPlain explainer of MODEL on DATA and save it to OUT."""
    from .batch.cxplain_fit import fit

    fit(model, data, labels, out, builder, parse_params(params), num_models, loss, random_state, overwrite, not quiet,
        trust_model_code)
    if not quiet:
        click.echo(f"wrote {out}")


@cxplain.command("explain")
@click.option("--explainer", required=True, help="A directory saved by `deepexplain cxplain fit` (or CXPlain.save).")
@click.option("--confidence-level", default=0.95, show_default=True, type=float)
@run_options
@reports_errors
def cxplain_explain(explainer, confidence_level, data, out, chunk_rows, resume, overwrite, workers, scheduler, quiet):
    """Attributions (and intervals, for an ensemble) of every row of DATA by a saved CXPlain explainer."""
    from .batch.jobs import CxplainJob

    job = CxplainJob.make(explainer, confidence_level)
    _run(job, data, out, None, chunk_rows, resume, overwrite, workers, scheduler, quiet)


@main.command()
@click.option("--model", required=True, help="The saved model the attributions explain.")
@click.option("--data", required=True, help="The rows they explain (a data spec).")
@click.option("--attributions", required=True, type=click.Path(exists=True, dir_okay=False),
              help="An output file of `deepexplain explain`; the metrics are written into it.")
@click.option("--metric", "metrics", multiple=True, help="A metric (repeat); default: all of them.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A metric parameter (n_subsets=100, steps=20, n_perturbations=50, radius=0.1, random_state=0); "
                   "METRIC.KEY=VALUE for one.")
@click.option("--rows", type=click.IntRange(min=1), help="Evaluate only the first N rows.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Most rows per model call.")
@click.option("--plot", type=click.Path(dir_okay=False),
              help="Write the sensitivity-n and deletion/insertion curves to this image.")
@click.option("--quiet", is_flag=True, help="No progress bar, no table.")
@trust_option
@reports_errors
def evaluate(model, data, attributions, metrics, params, rows, batch_size, plot, quiet, trust_model_code):
    """Quality metrics of the attributions in ATTRIBUTIONS, written into it, with a summary table.
    The file is checked first (a damaged chunk exits with code 5) and owned while it is written."""
    from .batch.evaluate import evaluate_file, summary_table
    from .batch.lock import OutputLock
    from .batch.store import verify_file

    with OutputLock(attributions):
        verify_file(attributions)
        summary = evaluate_file(model, data, attributions, list(metrics) or None, parse_params(params), rows,
                                batch_size, plot, progress=not quiet, trust_model_code=trust_model_code)
    if not quiet:
        click.echo(summary_table(summary))


@main.command()
@click.argument("out", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
@reports_errors
def info(out, as_json):
    """What OUT holds and how far its run got."""
    from .batch.info import info as read_info

    description = read_info(out)
    if as_json:
        click.echo(json.dumps(description, indent=2, default=str))
        return
    job = description["job"]
    click.echo(f"{out}: {description['state']}, {description['rows_done']} of {description['n_rows']} rows done")
    click.echo(f"job: {job.get('kind')}, " + ", ".join(f"{k}={v}" for k, v in sorted(job.items()) if k != "kind"))
    for key in ("model", "data", "labels", "started", "finished"):
        if description["attrs"].get(key):
            click.echo(f"{key}: {description['attrs'][key]}")
    click.echo("versions: " + ", ".join(f"{k} {v}" for k, v in description["versions"].items()))
    for name, dataset in sorted(description["datasets"].items()):
        extra = dataset["attrs"]
        click.echo(f"  {name}: {dataset['dtype']} {tuple(dataset['shape'])}" + (f" {extra}" if extra else ""))


if __name__ == "__main__":
    main()
