#!/usr/bin/env python3
"""Add the bytecode of every Python module in a Lambda zip to that zip, for its runtime.

    python3.12 scripts/compile-bytecode.py --runtime python3.12 .serverless/service.zip

Lambda unpacks the zip into /var/task, which is read-only: without `__pycache__/*.pyc` in the
zip, every cold start compiles each module it imports from source and cannot keep the result.
Each `x.py` gets `__pycache__/x.cpython-312.pyc` beside it, compiled by this interpreter, which
must be the runtime's version (bytecode is specific to a Python version). The .pyc files use
unchecked-hash invalidation: the interpreter loads them without comparing them to the source's
modification time, which the zip does not keep exactly. serverless-plugins/bytecode.js runs this
after the requirements are in the zip. A file that does not compile (never importable by this
runtime either) is left without bytecode.
"""

from __future__ import annotations

import argparse
import importlib.util
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath


def pyc_name(name: str) -> str:
    """`pkg/mod.py` -> `pkg/__pycache__/mod.cpython-312.pyc` (this interpreter's tag)."""
    source = PurePosixPath(name)
    return str(PurePosixPath(importlib.util.cache_from_source(str(source))))


def add_bytecode(zip_path: Path) -> tuple[int, int]:
    """Compile every .py in the zip into it; (compiled, left without bytecode)."""
    with zipfile.ZipFile(zip_path) as zf:
        entries = zf.infolist()
        names = {e.filename for e in entries}
        sources = [e for e in entries if e.filename.endswith(".py") and not e.is_dir()]
        compiled: list[tuple[zipfile.ZipInfo, bytes]] = []
        failed = 0
        with tempfile.TemporaryDirectory() as work:
            for entry in sources:
                target = pyc_name(entry.filename)
                if target in names:
                    continue
                source = Path(work, entry.filename)
                source.parent.mkdir(parents=True, exist_ok=True)
                source.write_bytes(zf.read(entry))
                pyc = Path(work, "out.pyc")
                try:
                    py_compile.compile(
                        str(source),
                        cfile=str(pyc),
                        dfile=entry.filename,
                        doraise=True,
                        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                    )
                except py_compile.PyCompileError:
                    failed += 1
                    continue
                info = zipfile.ZipInfo(target, date_time=entry.date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = entry.external_attr or (0o644 << 16)
                compiled.append((info, pyc.read_bytes()))
    with zipfile.ZipFile(zip_path, "a") as zf:
        for info, data in compiled:
            zf.writestr(info, data)
    return len(compiled), failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("zip", type=Path, help="the zip sls package built")
    parser.add_argument("--runtime", required=True, help="the function's runtime: python3.12")
    args = parser.parse_args(argv)
    running = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if running != args.runtime:
        print(
            f"error: {sys.executable} is {running}, not the runtime {args.runtime}: bytecode "
            f"only loads in the version that wrote it; put {args.runtime} on PATH "
            "(. .venv/bin/activate)",
            file=sys.stderr,
        )
        return 2
    if not zipfile.is_zipfile(args.zip):
        print(f"error: {args.zip}: not a zip file", file=sys.stderr)
        return 2
    done, failed = add_bytecode(args.zip)
    skipped = f"; {failed} file(s) that do not compile left as source" if failed else ""
    print(f"bytecode for {args.runtime}: {done} module(s) compiled into {args.zip.name}{skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
