#!/usr/bin/env bash
# Runs the whole test suite RUNS times beside a CPU load, then prints every test that failed and how often.
#
#   scripts/flaky.sh [RUNS] [-- ARGS FOR swift test]      (default: 10 runs)
#   FLAKY_LOAD=0 scripts/flaky.sh 3                       (no load beside it)
#
# A test whose outcome depends on how fast the machine is shows up here long before it shows up in CI. The load is
# one busy process per core (stress-ng when installed, else `yes > /dev/null`), started before the first run and
# stopped at the end. Each run has a throwaway PostgreSQL cluster of its own (scripts/with-postgres.sh), so the
# PostgreSQL cases run too. The build is made once, before the load starts; each run's output is kept under
# .build/flaky/run-N.log. Exit status: 0 when every run passed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

runs=10
if [ $# -gt 0 ] && [ "$1" != "--" ]; then runs=$1; shift; fi
[ "${1:-}" = "--" ] && shift
case $runs in ''|*[!0-9]*) echo "usage: scripts/flaky.sh [RUNS] [-- ARGS FOR swift test]" >&2; exit 64 ;; esac

logs=.build/flaky
mkdir -p "$logs"
rm -f "$logs"/run-*.log

echo "flaky: building the tests once"
swift build --build-tests >"$logs/build.log" 2>&1 || { tail -n 30 "$logs/build.log"; echo "flaky: the build failed"; exit 1; }

load_pids=()
stop_load() { [ ${#load_pids[@]} -gt 0 ] && kill "${load_pids[@]}" 2>/dev/null; wait 2>/dev/null; }
trap stop_load EXIT
if [ "${FLAKY_LOAD:-1}" != 0 ]; then
  cores=$(nproc)
  if command -v stress-ng >/dev/null; then
    stress-ng --cpu "$cores" --quiet >/dev/null 2>&1 & load_pids+=($!)
    echo "flaky: load: stress-ng --cpu $cores"
  else
    for _ in $(seq "$cores"); do yes >/dev/null & load_pids+=($!); done
    echo "flaky: load: $cores x yes > /dev/null"
  fi
fi

failed_runs=0
for run in $(seq "$runs"); do
  log="$logs/run-$run.log"
  started=$(date +%s)
  scripts/with-postgres.sh swift test --skip-build "$@" >"$log" 2>&1
  status=$?
  took=$(( $(date +%s) - started ))
  summary=$(grep -E '^(✔|✘|􀟈|􀢄)? ?Test run with [0-9]+ tests' "$log" | tail -n 1)
  if [ $status -eq 0 ]; then
    echo "run $run: passed in ${took}s  ${summary}"
  else
    failed_runs=$((failed_runs + 1))
    echo "run $run: FAILED (exit $status) in ${took}s  ${summary}"
    # The issues recorded, with where: what a reader needs to start from.
    grep -E 'recorded an issue at|failed after|error:' "$log" | sed 's/^/    /' | head -n 20
  fi
done

echo
echo "flaky: $((runs - failed_runs)) of $runs runs passed"
# `✘ Test "name" failed after …` (Swift Testing) and `Test Case '…' failed` (XCTest), counted over every run.
failures=$(cat "$logs"/run-*.log | sed -nE 's/.*Test "(.*)" failed after.*/\1/p; s/.*Test Case .(.*). failed .*/\1/p' | sort | uniq -c | sort -rn)
if [ -n "$failures" ]; then
  echo "failed tests (runs failed, test):"
  echo "$failures"
fi
[ $failed_runs -eq 0 ]
