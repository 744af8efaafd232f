#!/usr/bin/env bash
# Prints the path of a Python interpreter matching the Lambda runtime (python3.12),
# looking in pyenv first, then on PATH; falls back to python3 with a warning on stderr.
set -eu
want="${1:-3.12}"
candidates=()
if command -v pyenv >/dev/null 2>&1; then
  root="$(pyenv root)"
  for dir in "$root"/versions/"$want".*; do
    [ -x "$dir/bin/python$want" ] && candidates+=("$dir/bin/python$want")
  done
fi
candidates+=("python$want")
for py in "${candidates[@]}"; do
  if "$py" -c 'import sys' >/dev/null 2>&1; then
    command -v "$py"
    exit 0
  fi
done
echo "warning: no python$want found; using python3 ($(python3 --version 2>&1)). The Lambda runtime is python$want." >&2
command -v python3
