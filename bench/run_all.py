"""Run every benchmark, print one table and write it for the documentation.

    python -m bench [--quick] [--only NAME ...] [--device] [--out docs/benchmarks.md]
    python bench/run_all.py ...                              # the same

Every ``bench/bench_*.py`` runs in a process of its own (isolated TensorFlow state, default
sizes). A script that defines ``results(quick=False)`` returns its rows, dicts with the keys
``method``, ``ours_s``, ``floor`` (what it is compared with: a floor or an anchor), ``floor_s``,
``ratio`` (ours / floor), ``target`` (e.g. ``"<= 1.2"``) and ``met`` (see ``timing.result``);
the others run as scripts and their printed figures are kept as they are. ``--quick`` passes
``quick=True`` (smaller repeats) to the first kind; ``--only`` picks scripts by name
(``callback`` or ``bench_callback``). ``--device`` lists TensorFlow's logical devices and logs
every op's placement in each script, summarised as ops per device and, when an accelerator is
present, the op types that ran on the CPU.
"""
import argparse
import collections
import datetime
import importlib
import json
import os
import platform
import re
import runpy
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MARKER = "@@bench-results@@ "
PLACEMENT = (re.compile(r"Executing op (\w+) in device (\S+)"), re.compile(r"^\S+: \((\w+)\): (/job:\S+)"))
KEPT_LINES = 200
NOISE = re.compile(r"^(?:[IWEF]\d{4} |WARNING: All log messages before absl)|\d+/\d+ \[\d")
"""TensorFlow's C++ log lines and progress bars: shown while running, left out of the page."""


def scripts(only=None):
    """The benchmark scripts, optionally only those named in ``only``."""
    found = sorted(BENCH.glob("bench_*.py"))
    if not only:
        return found
    wanted = {name if name.startswith("bench_") else f"bench_{name}" for name in only}
    unknown = sorted(wanted - {path.stem for path in found})
    if unknown:
        raise SystemExit(f"--only: no benchmark named {unknown}; there are {[p.stem for p in found]}")
    return [path for path in found if path.stem in wanted]


def has_results(path):
    return re.search(r"^def results\(", path.read_text(encoding="utf-8"), re.M) is not None


def child(name, quick, device):
    """In the benchmark's own process: run it, printing its rows after ``MARKER``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(BENCH))
    if device:
        import tensorflow as tf

        tf.debugging.set_log_device_placement(True)
    path = BENCH / f"{name}.py"
    if has_results(path):
        rows = importlib.import_module(name).results(quick=quick)
        print(MARKER + json.dumps(rows), flush=True)
    else:
        sys.argv = [str(path)]
        runpy.run_path(str(path), run_name="__main__")


def run(path, quick, device, timeout):
    """``{"rows", "output", "placement", "seconds", "status"}`` of one script run in a subprocess."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", path.stem]
    command += ["--quick"] * quick + ["--device"] * device
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "0" if device else "2"}
    placement = collections.Counter()
    rows, output = [], collections.deque(maxlen=KEPT_LINES)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=BENCH.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, errors="replace")
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        for line in process.stdout:
            matched = next((m for m in (p.search(line) for p in PLACEMENT) if m), None)
            if matched:
                placement[(matched.group(2).rsplit("device:", 1)[-1], matched.group(1))] += 1
            elif line.startswith(MARKER):
                rows = json.loads(line[len(MARKER):])
            else:
                print(line, end="", flush=True)
                shown = line.rstrip("\n").rsplit("\r", 1)[-1]
                if shown.strip() and not NOISE.search(shown):
                    output.append(shown)
    finally:
        code = process.wait()
        timer.cancel()
    seconds = time.perf_counter() - start
    if code == 0:
        status = "ok"
    else:
        status = f"killed after {timeout:.0f} s" if seconds >= timeout else f"failed (exit code {code})"
    return {"rows": rows, "output": list(output), "placement": placement, "seconds": seconds, "status": status}


def _time(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def table(results):
    """The Markdown table of every row, with the scripts that printed their own figures."""
    lines = ["| script | method | ours | floor or anchor | ratio | target | met |", "|---|---|---|---|---|---|---|"]
    for name, result in results.items():
        for row in result["rows"]:
            floor = f"{row['floor']} {_time(row['floor_s'])}"
            lines.append(f"| {name} | {row['method']} | {_time(row['ours_s'])} | {floor} | {row['ratio']:.2f}× "
                         f"| {row['target']} | {'yes' if row['met'] else '**no**'} |")
        if not result["rows"]:
            what = "(its own printed figures, below)" if result["status"] == "ok" else "(no figures, see below)"
            lines.append(f"| {name} | {what} | | | | | {result['status']} |")
    return "\n".join(lines)


def devices():
    """TensorFlow's logical devices, as ``["CPU:0", "GPU:0", ...]``."""
    import tensorflow as tf

    return [d.name.split("device:", 1)[-1] for d in tf.config.list_logical_devices()]


def placement_summary(counter, accelerated):
    """Ops per device, and the op types that ran on the CPU when an accelerator is present."""
    per_device = collections.Counter()
    for (device, _), count in counter.items():
        per_device[device] += count
    text = ", ".join(f"{device}: {count:,} ops" for device, count in sorted(per_device.items())) or "no ops logged"
    if accelerated:
        on_cpu = sorted({op for (device, op) in counter if device.startswith("CPU")})
        text += f"; on the CPU: {', '.join(on_cpu) if on_cpu else 'none'}"
    return text


def summary(path):
    """The first sentence of a script's docstring: what it compares."""
    match = re.match(r'\s*(?:[rb]?"""|\'\'\')(.*?)(?:\n\n|""")', path.read_text(encoding="utf-8"), re.S)
    return " ".join(match.group(1).split()) if match else ""


def markdown(results, arguments, machine, accelerated):
    """The benchmarks page: how it was made, the scripts, the table, placement and the printed figures."""
    parts = [
        "# Benchmarks",
        "",
        f"Generated by `python -m bench{' ' + ' '.join(arguments) if arguments else ''}` on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. {machine}",
        "",
        "Each row times our method and its floor (the passes it cannot avoid, written by hand) or an anchor "
        "(the library users know) side by side in one run, best of several alternated repeats; the ratio is "
        "ours / floor. Timings on a shared machine move by ±30% between runs; `--quick` takes fewer repeats and "
        "moves more.",
        "",
        "Scripts marked - in the last column were not run for this page.",
        "",
        "| script | what it compares | this run |",
        "|---|---|---|",
        *(f"| `bench/{path.name}` | {summary(path)} | {results[path.stem]['status'] if path.stem in results else '-'} |"
          for path in scripts()),
        "",
        table(results),
    ]
    if any(result["placement"] for result in results.values()):
        parts += ["", "## Device placement", ""]
        parts += [f"- `{name}`: {placement_summary(r['placement'], accelerated)}" for name, r in results.items()]
    printed = {name: result for name, result in results.items() if not result["rows"] or result["status"] != "ok"}
    if printed:
        parts += ["", "## Figures printed by the scripts", ""]
        for name, result in printed.items():
            parts += [f"### {name} ({result['status']}, {result['seconds']:.0f} s)", "", "```",
                      *result["output"][-60:], "```", ""]
    return "\n".join(parts).rstrip() + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description="Run every benchmark and print one table.")
    parser.add_argument("--quick", action="store_true", help="short runs (scripts with results(quick=True))")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this script (repeatable)")
    parser.add_argument("--device", action="store_true", help="report the devices and where ops ran")
    parser.add_argument("--out", default=str(BENCH.parent / "docs" / "benchmarks.md"),
                        help="the Markdown page to write (default docs/benchmarks.md; '' for none)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per script (default 1800)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.quick, args.device)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    found = scripts(args.only)
    names = devices()
    load = os.getloadavg()[0]
    machine = (f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores (load average {load:.1f} at the start), "
               f"Python {platform.python_version()}, TensorFlow devices: {', '.join(names)}.")
    print(machine)
    accelerated = any(not name.startswith("CPU") for name in names)
    results = {}
    for path in found:
        print(f"\n=== {path.stem} ===", flush=True)
        results[path.stem] = run(path, args.quick, args.device, args.timeout)
    print("\n" + table(results))
    if args.device:
        print()
        for name, result in results.items():
            print(f"{name}: {placement_summary(result['placement'], accelerated)}")
    if args.out:
        arguments = ["--quick"] * args.quick + [f"--only {n}" for n in args.only or ()] + ["--device"] * args.device
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(markdown(results, arguments, machine, accelerated), encoding="utf-8")
        print(f"\nwritten: {args.out}")
    return 0 if all(r["status"] == "ok" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
