package verify

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/pkg/loadgen"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.UTC)

// synthetic records a run at 10 rps for 10 s with two stretches of errors
// and a few events.
func synthetic(t *testing.T, w *bytes.Buffer) *Run {
	t.Helper()
	rec := NewRecorder(Meta{Start: t0, URL: "http://127.0.0.1:8080/", Method: "GET", Rate: 10, DurationS: 10,
		Rollout: "deployment/web", Namespace: "shop", MaxErrors: 0}, w)
	start := t0.Add(5 * time.Millisecond)
	rec.Event(Event{At: start.Add(time.Second), Kind: "rollout", Object: "deployment/web", Reason: "restart"})
	for i := 0; i < 100; i++ {
		r := loadgen.Result{Seq: uint64(i), Due: start.Add(time.Duration(i) * 100 * time.Millisecond),
			Delay: time.Duration(i%3) * time.Microsecond, Latency: time.Duration(1+i%10) * time.Millisecond, Status: 200, Class: loadgen.ClassOK}
		switch {
		case i >= 20 && i < 25: // 2.0 s – 2.4 s
			r.Status, r.Class, r.Err = 0, loadgen.ClassRefused, "dial tcp 127.0.0.1:8080: connect: connection refused"
		case i == 26:
			r.Status, r.Class, r.Err = 0, loadgen.ClassReset, `read: connection reset by peer "quoted"`
		case i == 70 || i == 71: // 7.0 s
			r.Status, r.Class = 502, loadgen.StatusClass(502)
		}
		rec.Result(r)
	}
	rec.Event(Event{At: start.Add(3 * time.Second), Kind: "pod", Object: "pod/web-1", Reason: "terminating", Detail: "grace 35s"})
	rec.Event(Event{At: start.Add(8 * time.Second), Kind: "rollout", Object: "deployment/web", Reason: "complete"})
	run, err := rec.Finish(End{At: start.Add(10 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestBuild(t *testing.T) {
	var buf bytes.Buffer
	rep := Build(synthetic(t, &buf))
	if rep.Requests != (Counts{Total: 100, OK: 92, Failed: 8}) {
		t.Errorf("requests %+v", rep.Requests)
	}
	if rep.Errors["refused"] != 5 || rep.Errors["reset"] != 1 || rep.Errors["http_502"] != 2 || len(rep.Errors) != 3 {
		t.Errorf("errors %v", rep.Errors)
	}
	if len(rep.Windows) != 2 {
		t.Fatalf("windows %+v", rep.Windows)
	}
	w := rep.Windows[0]
	if w.Count != 6 || w.FromS != 2.0 || w.Classes["refused"] != 5 || w.Classes["reset"] != 1 {
		t.Errorf("window 1 %+v", w)
	}
	if rep.Windows[1].Count != 2 || rep.Windows[1].FromS != 7.0 {
		t.Errorf("window 2 %+v", rep.Windows[1])
	}
	if !rep.Start.Equal(t0.Add(5 * time.Millisecond)) {
		t.Errorf("start %v", rep.Start)
	}
	if rep.Rate.Target != 10 || rep.Rate.Achieved != 10 {
		t.Errorf("rate %+v", rep.Rate)
	}
	if rep.LatencyMs.Max != 10 || rep.LatencyMs.P50 < 4 || rep.LatencyMs.P50 > 6 {
		t.Errorf("latency %+v", rep.LatencyMs)
	}
	if rep.Passed || rep.Interrupted {
		t.Errorf("passed %v interrupted %v", rep.Passed, rep.Interrupted)
	}
	if len(rep.Events) != 3 || rep.Events[0].AtS != 1 || rep.Events[2].Reason != "complete" {
		t.Errorf("events %+v", rep.Events)
	}
	if ro := rep.Rollout; ro == nil || ro.StartS == nil || *ro.StartS != 1 || *ro.CompleteS != 8 || ro.SettledS != nil {
		t.Errorf("rollout %+v", rep.Rollout)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"100 total, 92 ok, 8 failed", "refused 5, reset 1, http_502 2",
		"+2.000s → +2.607s", "FAIL: 8 failed", "connection refused", "terminating  grace 35s"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}

// TestRemakeIsIdentical: the report made from the JSONL file equals the one
// made during the run, byte for byte.
func TestRemakeIsIdentical(t *testing.T) {
	var buf bytes.Buffer
	live := synthetic(t, &buf)
	var a, b bytes.Buffer
	if err := Build(live).WriteJSON(&a); err != nil {
		t.Fatal(err)
	}
	again, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := Build(again).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatalf("re-made report differs:\nlive:\n%s\nre-made:\n%s", a.String(), b.String())
	}
	var h1, h2 bytes.Buffer
	WriteHTML(&h1, Build(live), live)
	WriteHTML(&h2, Build(again), again)
	if h1.String() != h2.String() {
		t.Error("re-made HTML differs")
	}
}

func TestReadDamagedFiles(t *testing.T) {
	var buf bytes.Buffer
	synthetic(t, &buf)
	lines := strings.SplitAfter(buf.String(), "\n")

	// Killed mid-write: the last line is torn and there is no end record.
	cut := strings.Join(lines[:50], "") + lines[50][:10]
	run, err := Read(strings.NewReader(cut))
	if err != nil {
		t.Fatalf("torn last line: %v", err)
	}
	rep := Build(run)
	if !rep.Interrupted || rep.EndReason == "" {
		t.Errorf("a file without an end record must read as interrupted: %+v", rep)
	}

	// A broken line in the middle is an error.
	bad := strings.Join(lines[:10], "") + "{nope\n" + strings.Join(lines[10:], "")
	if _, err := Read(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 11") {
		t.Errorf("broken middle line: %v", err)
	}
	for name, in := range map[string]string{
		"empty":      "",
		"no meta":    `{"type":"request","seq":0}` + "\n",
		"new schema": `{"type":"meta","schemaVersion":99}` + "\n",
		"not jsonl":  "hello\n",
		"odd record": lines[0] + `{"type":"surprise"}` + "\n",
		"late meta":  lines[0] + lines[0],
	} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	var buf bytes.Buffer
	run := synthetic(t, &buf)
	var h bytes.Buffer
	if err := WriteHTML(&h, Build(run), run); err != nil {
		t.Fatal(err)
	}
	s := h.String()
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(s, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	for _, want := range []string{"<svg", "#d32f2f", "restart", "pod/web-1", "FAIL"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestTimelineAndHelpers(t *testing.T) {
	var buf bytes.Buffer
	run := synthetic(t, &buf)
	width, buckets := Timeline(run, 300)
	if width != 0.1 || len(buckets) != 100 {
		t.Fatalf("width %v, %d buckets", width, len(buckets))
	}
	if buckets[20].Failed != 1 || buckets[19].OK != 1 {
		t.Errorf("buckets %+v %+v", buckets[19], buckets[20])
	}
	if _, b := Timeline(run, 5); len(b) > 5 {
		t.Errorf("%d buckets for a cap of 5", len(b))
	}
	if percentile([]int64{1, 2, 3, 4}, 50) != 2 || percentile(nil, 99) != 0 || percentile([]int64{7}, 100) != 7 {
		t.Error("percentile")
	}
	if WindowGap(1000) != time.Second || WindowGap(0.5) != 4*time.Second {
		t.Error("WindowGap")
	}
}

// TestSchemaVersionIsAString: the report and the records write the version
// as a string, like every other JSON contract, and records written when it
// was a number still read.
func TestSchemaVersionIsAString(t *testing.T) {
	var buf bytes.Buffer
	run := synthetic(t, &buf)
	if !strings.HasPrefix(buf.String(), `{"type":"meta","schemaVersion":"1",`) {
		t.Errorf("meta line %q", strings.SplitN(buf.String(), "\n", 2)[0])
	}
	var rep bytes.Buffer
	if err := Build(run).WriteJSON(&rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.String(), `"schemaVersion": "1",`) {
		t.Errorf("report %.80s", rep.String())
	}
	old := strings.Replace(buf.String(), `"schemaVersion":"1"`, `"schemaVersion":1`, 1)
	again, err := Read(strings.NewReader(old))
	if err != nil || len(again.Requests) != len(run.Requests) {
		t.Errorf("records with a numeric version: %v", err)
	}
	newer := strings.Replace(buf.String(), `"schemaVersion":"1"`, `"schemaVersion":"9"`, 1)
	if _, err := Read(strings.NewReader(newer)); err == nil || !strings.Contains(err.Error(), "schema version 9") {
		t.Errorf("records of a newer version: %v", err)
	}
}
