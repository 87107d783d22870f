#!/usr/bin/env bash
# Races one end-to-end CLI lookup (embedded KB, mistyped message) against `grep -ril` over the
# KB folder, in the same hyperfine run, and reports peak memory of one lookup.
# Needs hyperfine (Debian: apt-get install hyperfine). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/rdperr
hyperfine --warmup 5 --runs 50 -N --export-markdown target/bench-cli.md \
  "$bin 'crendentials did not wrok'" \
  "grep -ril 'credentials did not work' kb/"
echo
/usr/bin/time -f "peak memory of one CLI lookup: %M KB" "$bin" "crendentials did not wrok" > /dev/null
