#!/usr/bin/env bash
# bench/verify.sh — how fast `zerodrop verify` can send while holding its
# schedule, side by side with vegeta, on loopback against a trivial Go server.
#
#   bash bench/verify.sh                     # rates 2000 5000 10000 15000 20000, 5 s each
#   RATES="1000 8000" DURATION=10s bash bench/verify.sh
#
# For each rate both tools send GET requests for DURATION, with keep-alive,
# each writing one record per request (zerodrop: JSON lines; vegeta: its
# binary results). Printed per rate and tool: the rate achieved, the requests
# that succeeded, and for zerodrop how late the 99th percentile request went
# out. A tool "holds" a rate when it achieves at least 99% of it and every
# request it sent succeeded. The server, zerodrop and vegeta share the machine's
# cores, so the figures are for this machine only.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
rates=${RATES:-2000 5000 10000 15000 20000}
duration=${DURATION:-5s}
vegeta_version=v12.13.0

work=$(mktemp -d)
server_pid=
cleanup() {
	if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "building zerodrop, the test server and vegeta $vegeta_version ..." >&2
go build -tags kustomize_disable_go_plugin_support -o "$work/zerodrop" ./cmd/zerodrop
mkdir -p "$work/server"
cat >"$work/server/main.go" <<'GO'
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) }))
}
GO
(cd "$work/server" && GO111MODULE=off go build -o "$work/srv" main.go)
GOBIN="$work/bin" go install "github.com/tsenart/vegeta/v12@$vegeta_version"

"$work/srv" >"$work/addr" 2>/dev/null &
server_pid=$!
for _ in $(seq 50); do [[ -s $work/addr ]] && break; sleep 0.1; done
url="http://$(head -n1 "$work/addr")/"
TIMEFORMAT='%U %S' # bash's time: CPU seconds, user and system

# field FILE NAME: the first number after "NAME": in a JSON file.
field() { grep -o "\"$2\": *[0-9.e+-]*" "$1" | head -n1 | sed 's/.*: *//'; }
holds() { awk -v a="$1" -v t="$2" -v ok="$3" -v n="$4" 'BEGIN { print (a >= 0.99 * t && ok == n) ? "yes" : "no" }'; }

printf '%-8s | %-44s | %-36s\n' "" "zerodrop verify" "vegeta attack"
printf '%-8s | %10s %9s %11s %6s %4s | %10s %9s %9s %4s\n' target achieved ok late-p99 cpu-s hold achieved ok/sent cpu-s hold
best_z=0
best_v=0
for rate in $rates; do
	sleep 1
	{ time "$work/zerodrop" verify --url "$url" --rps "$rate" --duration "$duration" \
		--out "$work/z.jsonl" -o json >"$work/z.json" 2>/dev/null; } 2>"$work/z.time" || true
	read -r zu zs <"$work/z.time"
	z_ach=$(field "$work/z.json" achieved)
	z_late=$(field "$work/z.json" lateP99Ms)
	z_total=$(field "$work/z.json" total)
	z_ok=$(field "$work/z.json" ok)
	z_rec=$(grep -c '"type":"request"' "$work/z.jsonl" || true)
	z_hold=$(holds "$z_ach" "$rate" "$z_ok" "$z_total")
	[[ $z_rec == "$z_total" ]] || z_hold="no (records $z_rec != $z_total)"

	sleep 1
	{ time "$work/bin/vegeta" attack -rate="$rate" -duration="$duration" -output "$work/v.bin" \
		<<<"GET $url" 2>/dev/null; } 2>"$work/v.time" || true
	read -r vu vs <"$work/v.time"
	"$work/bin/vegeta" report -type=json "$work/v.bin" >"$work/v.json"
	v_rate=$(field "$work/v.json" rate)
	v_req=$(field "$work/v.json" requests)
	v_succ=$(field "$work/v.json" success)
	v_ok=$(awk -v s="$v_succ" -v n="$v_req" 'BEGIN { printf "%d", s * n + 0.5 }')
	v_hold=$(holds "$v_rate" "$rate" "$v_ok" "$v_req")

	printf '%-8s | %10.1f %9s %9sms %6.2f %4s | %10.1f %9s %9.2f %4s\n' "$rate" "$z_ach" "$z_ok" "$z_late" \
		"$(awk -v u="$zu" -v s="$zs" 'BEGIN{print u+s}')" "$z_hold" "$v_rate" "$v_ok/$v_req" \
		"$(awk -v u="$vu" -v s="$vs" 'BEGIN{print u+s}')" "$v_hold"
	[[ $z_hold == yes ]] && best_z=$rate
	[[ $v_hold == yes ]] && best_v=$rate
done
echo
echo "highest rate held for $duration: zerodrop verify $best_z/s, vegeta $best_v/s (of: $rates)"
