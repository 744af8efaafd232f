"""The figures of `make bench`, each against its target, as a table and as JSON.

1. per-record cost of the handler over the cost of only decoding the same records
   (base64 + json.loads), in one process, LOG_FORMAT=json and text, log to /dev/null;
2. cold start: a fresh interpreter that imports the handler and handles a one-record batch,
   minus a fresh interpreter that only decodes the same record; and the same from the unpacked
   zip on a read-only copy (as Lambda runs it), with its bytecode over without it;
3. peak RSS of a fresh process handling a 6 MB batch of CallSummary records;
4. the size of the zip that `sls package` builds;
5. the worst record: the slowest of a set of hostile records of 100 KB to 1 MB
   (bench/adversarial.py), as a multiple of decoding that record in the same run.
6. what the archive adds to the per-record cost (bench/archive.py), as deployed.

The machine is shared: each figure is a median over repeated runs, and the per-record figure
is a ratio of two measurements taken in turn in the same process.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.adversarial import records
from bench.archive import archive_overhead
from bench.workload import ROOT, call_summary_batch, mixed_batch, payloads

RESULTS = ROOT / "bench" / "results" / "latest.json"
BASELINE = ROOT / "bench" / "baseline.json"
MB = 1024 * 1024
PAYLOAD_LIMIT = 6 * MB  # a Lambda invocation's payload limit

# figure -> (target, unit, what it is); every target is an upper bound
TARGETS: dict[str, tuple[float, str, str]] = {
    "per_record_ratio_json": (2.5, "x decode", "per-record, json + redaction (deployed)"),
    "per_record_ratio_text": (2.5, "x decode", "per-record, text, no redaction (local)"),
    "cold_start_overhead_ms": (150.0, "ms", "cold start over decode-only process"),
    "peak_rss_mb": (128.0, "MB", "peak RSS, 6 MB CallSummary batch"),
    "zip_mb": (2.0, "MB", "sls package zip"),
    "worst_record_ratio": (25.0, "x decode", "worst hostile record (100 KB-1 MB)"),
    "archive_overhead_pct": (15.0, "%", "per-record, archive on over off (json)"),
    "zip_cold_start_bytecode_ratio": (0.9, "x", "zip cold start CPU, .pyc over none"),
}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"QUARANTINE_BUCKET", "LOG_LEVEL"}}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


# --- 1. per-record cost --------------------------------------------------------------------


def per_record(event: dict[str, Any], log_format: str, repeats: int) -> dict[str, Any]:
    import handler

    datas = payloads(event)
    os.environ.pop("QUARANTINE_BUCKET", None)
    os.environ["LOG_FORMAT"] = log_format
    # As the stages run: json logs are the deployed default, with PII redaction on; text logs
    # are the local stage's (make demo), with it off.
    os.environ["STAGE"] = "dev" if log_format == "json" else "local"
    os.environ["REDACT_PII"] = "true" if log_format == "json" else "false"
    devnull = open(os.devnull, "w")  # noqa: SIM115 - closed below

    def run_handler() -> None:
        saved, sys.stdout = sys.stdout, devnull
        try:
            handler.handler(event, None)
        finally:
            sys.stdout = saved

    def run_decode() -> None:
        for data in datas:
            try:
                json.loads(base64.b64decode(data))
            except ValueError:  # the few bad records: rejected by the handler too
                continue

    def timed(fn: Callable[[], None]) -> float:
        gc.collect()
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    run_handler()  # a warm container: validators and builders compiled, drift reported
    run_decode()
    ratios, handler_us, decode_us = [], [], []
    for _ in range(repeats):
        d = timed(run_decode)
        h = timed(run_handler)
        ratios.append(h / d)
        handler_us.append(h / len(datas) * 1e6)
        decode_us.append(d / len(datas) * 1e6)
    devnull.close()
    return {
        "value": round(statistics.median(ratios), 2),
        "records": len(datas),
        "repeats": repeats,
        "handler_us_per_record": round(statistics.median(handler_us), 1),
        "decode_us_per_record": round(statistics.median(decode_us), 1),
        "ratio_min": round(min(ratios), 2),
        "ratio_max": round(max(ratios), 2),
    }


# --- 5. the worst record ------------------------------------------------------------------


def worst_record(tmp: Path, repeats: int) -> dict[str, Any]:
    """Each hostile record alone in a batch, in a new container (nothing told or cached about
    it yet), in both log formats; its handler time over its decode time, median of `repeats`."""
    import handler
    from operata.fixtures import kinesis_event
    from operata_lambda import app

    os.environ["QUARANTINE_DIR"] = str(tmp / "quarantine")
    os.environ.pop("QUARANTINE_BUCKET", None)
    devnull = open(os.devnull, "w")  # noqa: SIM115 - closed below
    ratios: dict[str, float] = {}
    for name, payload in records().items():
        event = kinesis_event([payload])
        data = event["Records"][0]["kinesis"]["data"]
        for log_format in ("json", "text"):
            os.environ["LOG_FORMAT"] = log_format
            os.environ["STAGE"] = "dev" if log_format == "json" else "local"
            os.environ["REDACT_PII"] = "true" if log_format == "json" else "false"

            def run_handler(event: dict[str, Any] = event) -> None:
                app.CONTAINER = app.Container()
                saved, sys.stdout = sys.stdout, devnull
                try:
                    handler.handler(event, None)
                finally:
                    sys.stdout = saved

            def run_decode(data: str = data) -> None:
                json.loads(base64.b64decode(data))

            run_handler()  # validators compiled, jsonschema imported: a warm container's cost
            found = []
            for _ in range(repeats):
                d = _timed(run_decode)
                found.append(_timed(run_handler) / d)
            ratios[f"{name}, {log_format}"] = round(statistics.median(found), 1)
    devnull.close()
    worst = max(ratios, key=ratios.__getitem__)
    return {"value": ratios[worst], "worst": worst, "repeats": repeats, "ratios": ratios}


def _timed(fn: Callable[[], None]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- 2. cold start -------------------------------------------------------------------------

HANDLER_PROCESS = """
import json, sys, time
event = json.load(open(sys.argv[1]))
t0 = time.perf_counter()
import handler
t1 = time.perf_counter()
handler.handler(event, None)
t2 = time.perf_counter()
heavy = [m for m in ("jsonschema", "boto3", "fastjsonschema", "marshmallow") if m in sys.modules]
sys.stderr.write(json.dumps({"import_ms": (t1 - t0) * 1e3, "first_batch_ms": (t2 - t1) * 1e3,
                             "heavy_modules": heavy}))
"""

DECODE_PROCESS = """
import base64, json, sys
event = json.load(open(sys.argv[1]))
for record in event["Records"]:
    json.loads(base64.b64decode(record["kinesis"]["data"]))
"""


def _run(code: str, path: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = (time.perf_counter() - start) * 1e3
    if done.returncode != 0:
        raise RuntimeError(f"child process failed: {done.stderr.strip()[-500:]}")
    return elapsed, done.stderr


def cold_start(tmp: Path, repeats: int) -> dict[str, Any]:
    path = tmp / "one-record.json"
    payload = (ROOT / "events" / "source" / "CallSummary.json").read_bytes()
    from operata.fixtures import kinesis_event

    path.write_text(json.dumps(kinesis_event([payload])))
    env = _env(LOG_FORMAT="json")
    _run(HANDLER_PROCESS, path, env)  # warm-up: bytecode caches written, files in page cache
    _run(DECODE_PROCESS, path, env)
    handler_ms, decode_ms, overhead, inside = [], [], [], []
    for _ in range(repeats):
        h, report = _run(HANDLER_PROCESS, path, env)
        d, _ = _run(DECODE_PROCESS, path, env)
        handler_ms.append(h)
        decode_ms.append(d)
        overhead.append(h - d)
        inside.append(json.loads(report.strip().splitlines()[-1]))
    return {
        "value": round(statistics.median(overhead), 1),
        "repeats": repeats,
        "handler_process_ms": round(statistics.median(handler_ms), 1),
        "decode_process_ms": round(statistics.median(decode_ms), 1),
        "import_handler_ms": round(statistics.median(r["import_ms"] for r in inside), 1),
        "first_batch_ms": round(statistics.median(r["first_batch_ms"] for r in inside), 1),
        "heavy_modules_loaded": inside[-1]["heavy_modules"],
    }


# --- 2b. cold start from the zip, with and without its bytecode -----------------------------

# As Lambda starts the function: only the unpacked zip, the standard library and the SDK the
# runtime provides on sys.path, in a directory that cannot be written.
ZIP_HANDLER_PROCESS = """
import sys
code_dir, sdk_dir, event_path = sys.argv[1:]
sys.path[:] = [code_dir, *[p for p in sys.path if p and "-packages" not in p], sdk_dir]
import json
event = json.load(open(event_path))
import handler
handler.handler(event, None)
"""

ZIP_DECODE_PROCESS = """
import sys
code_dir, sdk_dir, event_path = sys.argv[1:]
import base64, json
for record in json.load(open(event_path))["Records"]:
    json.loads(base64.b64decode(record["kinesis"]["data"]))
"""


def _read_only_task(zip_path: Path, dest: Path, keep_bytecode: bool) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        for name in zf.namelist():
            if keep_bytecode or not name.endswith(".pyc"):
                zf.extract(name, dest)
    for path in [*dest.rglob("*"), dest]:  # as /var/task: nothing can be written there
        path.chmod(path.stat().st_mode & ~0o222)
    return dest


def _sdk_dir(dest: Path) -> Path:
    """The AWS SDK the runtime provides: this environment's, linked (setup_check looks for it)."""
    import boto3

    site = Path(boto3.__file__).parents[1]
    dest.mkdir()
    for name in ["boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"]:
        if (site / name).exists():
            (dest / name).symlink_to(site / name)
    return dest


def _run_isolated(code: str, task: Path, sdk: Path, event: Path, env: dict[str, str]) -> float:
    """The CPU time (user + system, ms) of a fresh isolated interpreter running `code`: on a
    shared machine it moves far less than the wall time, which waits for the CPU too."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        # -B: no bytecode written, as in /var/task (file modes do not stop root from writing)
        [sys.executable, "-I", "-S", "-B", "-c", code, str(task), str(sdk), str(event)],
        cwd=task,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"child process failed: {done.stderr.strip()[-500:]}")
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used * 1e3


def zip_cold_start(zip_path: Path | None, tmp: Path, repeats: int) -> dict[str, Any]:
    """Cold start over a decode-only process, in CPU time, from the unpacked zip on a read-only
    copy: with its bytecode over without it (the value: below 1 when the bytecode saves time)."""
    if zip_path is None:
        return {"value": None, "unavailable": "no zip (sls package skipped or failed)"}
    with_pyc = _read_only_task(zip_path, tmp / "task-with-pyc", keep_bytecode=True)
    without_pyc = _read_only_task(zip_path, tmp / "task-without-pyc", keep_bytecode=False)
    sdk = _sdk_dir(tmp / "sdk")
    event = tmp / "zip-one-record.json"
    from operata.fixtures import kinesis_event

    payload = (ROOT / "events" / "source" / "CallSummary.json").read_bytes()
    event.write_text(json.dumps(kinesis_event([payload])))
    env = {"LOG_FORMAT": "json", "STAGE": "dev", "PATH": os.environ.get("PATH", "")}
    env["QUARANTINE_BUCKET"] = "not-used"  # the record is valid: nothing is quarantined
    runs: dict[str, list[float]] = {"with": [], "without": [], "decode": []}
    try:
        for _ in range(repeats + 1):  # the first round warms the page cache, and is left out
            times = {
                "with": _run_isolated(ZIP_HANDLER_PROCESS, with_pyc, sdk, event, env),
                "without": _run_isolated(ZIP_HANDLER_PROCESS, without_pyc, sdk, event, env),
                "decode": _run_isolated(ZIP_DECODE_PROCESS, with_pyc, sdk, event, env),
            }
            for key, value in times.items():
                runs[key].append(value)
    finally:  # writable again, so that the temporary directory can be removed
        for task in (with_pyc, without_pyc):
            for path in [task, *task.rglob("*")]:
                if not path.is_symlink():
                    path.chmod(path.stat().st_mode | 0o200)
    with_ms, without_ms, decode_ms = (statistics.median(runs[k][1:]) for k in runs)
    with_pyc_count = sum(1 for p in with_pyc.rglob("*.pyc"))
    return {
        "value": round((with_ms - decode_ms) / (without_ms - decode_ms), 2),
        "repeats": repeats,
        "with_bytecode_cpu_ms": round(with_ms, 1),
        "without_bytecode_cpu_ms": round(without_ms, 1),
        "decode_process_cpu_ms": round(decode_ms, 1),
        "overhead_with_cpu_ms": round(with_ms - decode_ms, 1),
        "overhead_without_cpu_ms": round(without_ms - decode_ms, 1),
        "pyc_files": with_pyc_count,
    }


# --- 3. memory -----------------------------------------------------------------------------

# The child reports its own high-water mark (VmHWM): ru_maxrss as seen by the parent would
# count the parent's pages too, as the kernel carries the peak over fork and exec.
PEAK = """
import resource
try:
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stderr.write(str(kb))
"""

MEMORY_PROCESS = (
    """
import json, sys
event = json.load(open(sys.argv[1]))
import handler
response = handler.handler(event, None)
assert not response["batchItemFailures"], response
del event, response
"""
    + PEAK
)

MEMORY_BASELINE_PROCESS = (
    """
import json, sys
event = json.load(open(sys.argv[1]))
"""
    + PEAK
)


def _peak_rss_mb(code: str, path: Path, env: dict[str, str]) -> float:
    _, report = _run(code, path, env)
    return int(report.strip().splitlines()[-1]) / 1024


def memory(tmp: Path, repeats: int) -> dict[str, Any]:
    event = call_summary_batch(PAYLOAD_LIMIT)
    path = tmp / "six-mb.json"
    text = json.dumps(event)
    path.write_text(text)
    env = _env(LOG_FORMAT="json")
    peaks = [_peak_rss_mb(MEMORY_PROCESS, path, env) for _ in range(repeats)]
    floor = [_peak_rss_mb(MEMORY_BASELINE_PROCESS, path, env) for _ in range(repeats)]
    return {
        "value": round(statistics.median(peaks), 1),
        "records": len(event["Records"]),
        "event_bytes": len(text),
        "event_only_process_mb": round(statistics.median(floor), 1),
    }


# --- 4. package size -----------------------------------------------------------------------


def package_size(tmp: Path) -> tuple[dict[str, Any], Path | None]:
    """The zip's size, and the zip (None when it could not be built)."""
    sls = ROOT / "node_modules" / ".bin" / "sls"
    if not sls.exists():
        missing = "node_modules/.bin/sls is missing (make install)"
        return {"value": None, "unavailable": missing}, None
    out = tmp / "package"
    env = _env()
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    command = [str(sls), "package", "--stage", "dev", "--package", str(out)]
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"value": None, "unavailable": f"sls package did not finish: {exc}"}, None
    zips = sorted(out.glob("*.zip")) if out.is_dir() else []
    if done.returncode != 0 or not zips:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        failed = f"sls package failed ({done.returncode}): {' | '.join(tail)}"
        return {"value": None, "unavailable": failed}, None
    size = sum(z.stat().st_size for z in zips)
    return {"value": round(size / MB, 2), "bytes": size, "zips": [z.name for z in zips]}, zips[0]


# --- the report ----------------------------------------------------------------------------


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "unavailable"
    return f"{value:g}{unit}" if unit.startswith("x") else f"{value:g} {unit}"


def table(figures: dict[str, dict[str, Any]], baseline: dict[str, Any] | None) -> str:
    rows = [("figure", "measured", "target", "", "baseline")]
    for key, (target, unit, label) in TARGETS.items():
        fig = figures.get(key)
        if fig is None:
            continue
        value = fig["value"]
        verdict = "n/a" if value is None else ("ok" if value <= target else "MISSED")
        before = ""
        if baseline and key in baseline.get("figures", {}):
            old = baseline["figures"][key]["value"]
            before = _fmt(old, unit)
            if old and value is not None:
                before += f" ({(value - old) / old:+.0%})"
        rows.append((label, _fmt(value, unit), f"<= {_fmt(target, unit)}", verdict, before))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    for key, fig in figures.items():
        if fig.get("unavailable"):
            lines.append(f"{key}: unavailable: {fig['unavailable']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=500, help="records per mixed batch")
    parser.add_argument("--repeats", type=int, default=15, help="runs per in-process figure")
    parser.add_argument("--processes", type=int, default=9, help="fresh processes per figure")
    parser.add_argument("--quick", action="store_true", help="fewer runs, no sls package")
    parser.add_argument("--no-package", action="store_true", help="skip sls package")
    parser.add_argument("--save-baseline", action="store_true", help="also write baseline.json")
    parser.add_argument(
        "--only-worst-record", action="store_true", help="measure the worst record only"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.processes, args.no_package = 5, 3, True

    sys.path.insert(0, str(ROOT))
    figures: dict[str, dict[str, Any]] = {}
    if args.only_worst_record:
        with tempfile.TemporaryDirectory(prefix="operata-bench-") as name:
            figures["worst_record_ratio"] = worst_record(Path(name), max(3, args.repeats // 3))
        return _report(figures, args.save_baseline)
    event = mixed_batch(args.records)
    for log_format in ("json", "text"):
        print(f"per-record cost, LOG_FORMAT={log_format} ...", file=sys.stderr)
        figures[f"per_record_ratio_{log_format}"] = per_record(event, log_format, args.repeats)
    print("per-record cost of the archive ...", file=sys.stderr)
    figures["archive_overhead_pct"] = archive_overhead(event, args.repeats)
    with tempfile.TemporaryDirectory(prefix="operata-bench-") as name:
        tmp = Path(name)
        print("cold start ...", file=sys.stderr)
        figures["cold_start_overhead_ms"] = cold_start(tmp, args.processes)
        print("memory ...", file=sys.stderr)
        figures["peak_rss_mb"] = memory(tmp, max(3, args.processes // 3))
        print("worst record ...", file=sys.stderr)
        figures["worst_record_ratio"] = worst_record(tmp, max(3, args.repeats // 3))
        zip_path = None
        if args.no_package:
            figures["zip_mb"] = {"value": None, "unavailable": "skipped (--no-package/--quick)"}
        else:
            print("sls package ...", file=sys.stderr)
            figures["zip_mb"], zip_path = package_size(tmp)
        print("cold start from the zip, with and without bytecode ...", file=sys.stderr)
        figures["zip_cold_start_bytecode_ratio"] = zip_cold_start(zip_path, tmp, args.processes)
    return _report(figures, args.save_baseline)


def _report(figures: dict[str, dict[str, Any]], save_baseline: bool) -> int:
    for key, fig in figures.items():
        target = TARGETS[key][0]
        fig["target"] = target
        fig["met"] = None if fig["value"] is None else fig["value"] <= target

    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "git": _git_head(),
        },
        "figures": figures,
    }
    baseline = json.loads(BASELINE.read_text()) if BASELINE.is_file() else None
    print(table(figures, baseline))
    if baseline:
        print(f"(baseline: {BASELINE.relative_to(ROOT)}, {baseline.get('measured_at', '?')})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"figures and details: {RESULTS.relative_to(ROOT)}")
    if save_baseline:
        BASELINE.write_text(json.dumps(result, indent=2) + "\n")
        print(f"baseline saved: {BASELINE.relative_to(ROOT)}")
    return 0


def _git_head() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip()
    except OSError:
        return ""
