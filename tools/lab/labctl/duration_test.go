package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/pkg/sim"
)

// requestDurations reads the successful requests before the first stop,
// each from when verify sent it (its delay after the scheduled time) until
// its answer, and returns their median and the log-normal sigma whose mean
// matches theirs; failed requests and those after the stop do not count.
func TestRequestDurations(t *testing.T) {
	start := time.Date(2026, 12, 8, 0, 52, 21, 0, time.UTC)
	us := int64(time.Microsecond)
	var b strings.Builder
	fmt.Fprintf(&b, `{"type":"meta","schemaVersion":"1","start":%q,"rate":1000}`+"\n", start.Format(time.RFC3339Nano))
	req := func(at, delay, lat int64, class string) {
		fmt.Fprintf(&b, `{"type":"request","seq":0,"atNs":%d,"delayNs":%d,"latencyNs":%d,"status":200,"class":%q}`+"\n", at, delay, lat, class)
	}
	// 900 of 300 µs and 100 of 1,200 µs, sent 200 µs late: median 300 µs,
	// mean 390 µs.
	for i := range int64(1000) {
		lat := 300 * us
		if i%10 == 9 {
			lat = 1200 * us
		}
		req(i*1000*us, 200*us, 200*us+lat, "ok")
	}
	req(500_000*us, 0, 4*int64(time.Second), "http_502") // failed: left out
	fmt.Fprintf(&b, `{"type":"event","t":%q,"kind":"pod","object":"pod/a","reason":"terminating"}`+"\n", start.Add(time.Second).Format(time.RFC3339Nano))
	for i := range int64(500) {
		req(1_000_000*us+i*1000*us, 0, 50*int64(time.Millisecond), "ok") // after the stop
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	med, sig, err := requestDurations(path)
	if err != nil {
		t.Fatal(err)
	}
	wantSig := math.Sqrt(2 * math.Log(390.0/300))
	if math.Abs(med-300e-6) > 1e-9 || math.Abs(sig-wantSig) > 1e-6 {
		t.Errorf("median %g s, sigma %g; want 0.0003 s and %g", med, sig, wantSig)
	}
	// Given to simulate: the log-normal's mean is the measured one.
	p := sim.Default()
	p.DurationMax = 2
	if _, _, err := withDurations(&p, path); err != nil {
		t.Fatal(err)
	}
	if mean := p.DurationMedian * math.Exp(p.DurationSigma*p.DurationSigma/2); math.Abs(mean-390e-6) > 1e-9 {
		t.Errorf("simulate's mean duration %g s, want the measured 0.00039", mean)
	}
	// Too few requests: an error naming the file.
	short := filepath.Join(t.TempDir(), "s.jsonl")
	os.WriteFile(short, []byte(fmt.Sprintf(`{"type":"meta","schemaVersion":"1","start":%q,"rate":1}`+"\n", start.Format(time.RFC3339Nano))), 0o644)
	if _, _, err := requestDurations(short); err == nil || !strings.Contains(err.Error(), short) {
		t.Errorf("no requests: error %v, want one naming %s", err, short)
	}
}
