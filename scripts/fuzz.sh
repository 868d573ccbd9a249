#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (a separate package: the main build and CI never build it) and runs each
# for SECONDS seconds (default 300) on the seed corpus in Tests/Fixtures/fuzz/TARGET/. New crash inputs land in
# Tests/Fixtures/fuzz/crashes/; copy each into Tests/Fixtures/fuzz/TARGET/ once fixed, so `swift test` replays it.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      TARGET: submission bundle heads (default: all, one after another)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(submission bundle heads)
root="$PWD"
(cd Fuzz && swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
bin="$(cd Fuzz && swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --show-bin-path)"
mkdir -p "$root/Tests/Fixtures/fuzz/crashes"
for t in "${targets[@]}"; do
  case "$t" in
    submission) exe=FuzzSubmission ;;
    bundle) exe=FuzzBundle ;;
    heads) exe=FuzzHeads ;;
    *) echo "unknown target $t (submission, bundle, heads)" >&2; exit 64 ;;
  esac
  corpus="$(mktemp -d)"
  cp "$root/Tests/Fixtures/fuzz/$t/"* "$corpus/" 2>/dev/null || true
  echo "== $exe for $seconds s (corpus: $(ls "$corpus" | wc -l) seeds)"
  "$bin/$exe" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=10 \
    -artifact_prefix="$root/Tests/Fixtures/fuzz/crashes/$t-" -print_final_stats=1
  rm -rf "$corpus"
done
