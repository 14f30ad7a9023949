#!/bin/sh
# Runs one libFuzzer binary for a fixed time from its committed seed corpus and reports executions and
# crashes in one line. New corpus entries go to a scratch directory (never into git); a crash leaves its
# input next to the scratch corpus and makes this script fail.
# Usage: run-fuzzer.sh FUZZER SEED_DIR SCRATCH_DIR SECONDS
set -eu
fuzzer=$1
seeds=$2
scratch=$3
seconds=$4
name=$(basename "$fuzzer")
mkdir -p "$scratch"
log="$scratch.log"
status=0
"$fuzzer" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 -artifact_prefix="$scratch-" \
    "$scratch" "$seeds" >"$log" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
corpus=$(ls "$scratch" | wc -l)
if [ "$status" -ne 0 ]; then
    echo "$name: CRASH after ${runs:-?} executions (exit $status); log: $log" >&2
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -n 5 >&2 || true
    exit 1
fi
echo "$name: ${runs:-?} executions in ${seconds} s (${speed:-?}/s), 0 crashes, corpus $corpus inputs"
