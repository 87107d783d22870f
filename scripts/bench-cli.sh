#!/usr/bin/env bash
# Races one end-to-end CLI lookup (embedded KB, mistyped message) against `grep -ril` over the
# KB folder, in the same hyperfine run, and reports peak memory of one lookup.
# Needs hyperfine (Debian: apt-get install hyperfine). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/rdperr
hyperfine --warmup 5 --runs 50 -N --export-json target/bench-cli.json \
  "$bin 'crendentials did not wrok'" \
  "grep -ril 'credentials did not work' kb/"
echo
# Medians and their ratio (hyperfine's summary gives means).
python3 - <<'PY'
import json, statistics
r = json.load(open("target/bench-cli.json"))["results"]
med = [statistics.median(x["times"]) * 1000 for x in r]
for x, m in zip(r, med):
    print(f"median {m:7.2f} ms  {x['command']}")
print(f"ratio rdperr / grep (medians): {med[0] / med[1]:.1f}x")
PY
/usr/bin/time -f "peak memory of one CLI lookup: %M KB" "$bin" "crendentials did not wrok" > /dev/null
