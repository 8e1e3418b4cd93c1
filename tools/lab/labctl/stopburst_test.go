package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStopBurst writes verify's JSON lines for a run whose requests take
// 1 ms at 1,000 per second (one in flight), with two requests at once in
// the warm-up and a spike of slow requests after the pods begin
// terminating; stopBurst counts the requests in flight at the spike's
// peak beyond the warm-up's peak, leaves out failed ones that hung (a
// refused one counts), and ignores a spike outside the window.
func TestStopBurst(t *testing.T) {
	start := time.Date(2026, 12, 7, 19, 51, 15, 0, time.UTC)
	ms := int64(time.Millisecond)
	write := func(t *testing.T, spikeAt int64, spike, refused, hung int) string {
		var b strings.Builder
		fmt.Fprintf(&b, `{"type":"meta","schemaVersion":"1","start":%q,"rate":1000}`+"\n", start.Format(time.RFC3339Nano))
		req := func(at, lat int64, class string) {
			fmt.Fprintf(&b, `{"type":"request","seq":0,"atNs":%d,"delayNs":0,"latencyNs":%d,"status":200,"class":%q}`+"\n", at, lat, class)
		}
		for i := int64(0); i < 3000; i++ {
			req(i*ms, ms/2, "ok")
		}
		req(500*ms, ms/2, "ok") // two at once in the warm-up
		for _, pod := range []string{"a", "b"} {
			fmt.Fprintf(&b, `{"type":"event","t":%q,"kind":"pod","object":"pod/%s","reason":"terminating"}`+"\n", start.Add(2*time.Second).Format(time.RFC3339Nano), pod)
		}
		for i := 0; i < spike; i++ {
			req(spikeAt+int64(i)*ms/10, 40*ms, "ok")
		}
		for i := 0; i < refused; i++ {
			req(spikeAt+int64(i)*ms/10, 40*ms, "http_502")
		}
		for i := 0; i < hung; i++ {
			req(spikeAt, 4000*ms, "http_502")
		}
		p := filepath.Join(t.TempDir(), "run.jsonl")
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name           string
		at             int64
		spike, refused int
		hung           int
		want           float64
	}{
		{"spike in the window", 2100 * ms, 12, 0, 0, 11}, // 12 + the steady one, over a peak of 2
		{"refused after the spike's wait count", 2100 * ms, 6, 6, 0, 11},
		{"hung requests left out", 2100 * ms, 12, 0, 30, 11},
		{"no spike", 2100 * ms, 0, 0, 0, 0},
		{"spike after the window", 2700 * ms, 12, 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := stopBurst(write(t, c.at, c.spike, c.refused, c.hung), stopWindow)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("stopBurst = %v, want %v", got, c.want)
			}
		})
	}
	// No pod terminated: nothing to measure.
	p := filepath.Join(t.TempDir(), "none.jsonl")
	os.WriteFile(p, []byte(fmt.Sprintf(`{"type":"meta","start":%q}`+"\n", start.Format(time.RFC3339Nano))), 0o644)
	if got, err := stopBurst(p, stopWindow); err != nil || got != 0 {
		t.Errorf("no termination: stopBurst = %v, %v; want 0, nil", got, err)
	}
	// A broken line is an error naming the file and line.
	os.WriteFile(p, []byte("{\"type\":\"meta\"}\nnot json\n"), 0o644)
	if _, err := stopBurst(p, stopWindow); err == nil || !strings.Contains(err.Error(), "none.jsonl:2") {
		t.Errorf("broken line: error %v, want one naming none.jsonl:2", err)
	}
}
