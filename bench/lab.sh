#!/usr/bin/env bash
# bench/lab.sh — the real-node lab end to end, with its figures (docs/lab.md):
# build time, `lab up` and `lab down` times, and the measured matrix (verify
# against simulate's p5–p95 band for each configuration and event).
#
#   sudo bash bench/lab.sh                          # the whole matrix
#   CONFIGS=alb-naive,alb-recommended EVENTS=rollout sudo bash bench/lab.sh
#
# Needs root and Debian (the lab installs its packages with apt-get). The
# build is cached (tools/testenv/build.sh and tools/lab/lab.sh build): a
# cold one takes tens of minutes on two cores. Results go to $OUT
# (default ./lab-results); the lab is taken down at the end, and `down`
# fails if anything is left behind.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:-lab-results}
configs=${CONFIGS:-alb-naive,alb-recommended,nlb-naive,nlb-recommended}
events=${EVENTS:-rollout,scale-in,drain}
runs=${RUNS:-200}

[[ $(id -u) == 0 ]] || {
	echo "bench/lab.sh needs root" >&2
	exit 2
}
lab=tools/lab/lab.sh
t0=$SECONDS
$lab build
t1=$SECONDS
$lab up >/dev/null
t2=$SECONDS
status=0
$lab run --out "$out" --configs "$configs" --events "$events" --runs "$runs" || status=$?
t3=$SECONDS
$lab down || status=$?
t4=$SECONDS
echo
echo "build $((t1 - t0))s (cached after the first), up $((t2 - t1))s, matrix $((t3 - t2))s, down $((t4 - t3))s"
echo "results: $out/summary.txt"
exit "$status"
