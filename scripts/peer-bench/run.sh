#!/usr/bin/env bash
# The Python peer for `therapy-ledger-bench`: installs eventsourcing 9.5.6 into a throwaway virtual environment
# (.build/peer-venv, out of git) and appends the same 100k-event workload (scripts/bulk_events.py: 5000 patients x 20)
# to it, best of three. Prints one JSON line on stdout (see eventsourcing_append.py); progress goes to stderr.
#
# usage: scripts/peer-bench/run.sh [--patients N] [--per-patient K] [--batch B] [--runs R] [--submissions FILE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
patients=5000 per=20 batch=10000 runs=3 submissions=""
while [ $# -gt 0 ]; do
  case "$1" in
    --patients) patients="$2"; shift 2 ;;
    --per-patient) per="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --submissions) submissions="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "peer-bench: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done
venv="$root/.build/peer-venv"
if ! "$venv/bin/python" -c 'import eventsourcing, sys; from importlib.metadata import version; sys.exit(version("eventsourcing") != "9.5.6")' 2>/dev/null; then
  echo "peer-bench: installing eventsourcing 9.5.6 into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'eventsourcing==9.5.6' >&2
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/peer-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
if [ -z "$submissions" ]; then
  submissions="$work/submissions.jsonl"
  python3 "$root/scripts/bulk_events.py" "$patients" "$per" "$submissions"
fi
echo "peer-bench: appending $(wc -l <"$submissions") events, batches of $batch, best of $runs" >&2
"$venv/bin/python" "$here/eventsourcing_append.py" "$submissions" "$work/db" --batch "$batch" --runs "$runs"
