package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, true, 4, "simulating")
	for range 4 {
		p.Add(1)
	}
	p.Done()
	if !strings.Contains(buf.String(), "simulating") || !strings.Contains(buf.String(), "/4)") {
		t.Errorf("bar output %q", buf.String())
	}
	buf.Reset()
	q := newProgress(&buf, isTerminal(&buf), 4, "simulating")
	q.Add(4)
	q.Done()
	if buf.Len() != 0 {
		t.Errorf("a bar on a non-terminal: %q", buf.String())
	}
	// simulate with stderr not a terminal prints no bar.
	_, _, errOut := run(t, "", "simulate", "--runs", "3")
	if strings.Contains(errOut, "simulating") {
		t.Errorf("simulate drew a bar on a pipe: %q", errOut)
	}
}

// Text output to a pipe or buffer is never wrapped.
func TestTerminalWidthNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	if w := terminalWidth(&buf); w != 0 {
		t.Errorf("width of a buffer = %d, want 0", w)
	}
}

// A library's staged progress draws one bar per stage on a terminal and
// nothing at all elsewhere.
func TestStages(t *testing.T) {
	var buf bytes.Buffer
	s := &stages{w: &buf, show: true}
	for i := 0; i <= 3; i++ {
		s.Report("fixing", i, 3)
	}
	s.Report("writing", 0, 2)
	s.Report("writing", 2, 2)
	s.Done()
	// The bar throttles redraws, so only the blank state is sure to show.
	out := buf.String()
	for _, want := range []string{"fixing", "/3)", "writing", "/2)"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in %q", want, out)
		}
	}
	if strings.Index(out, "fixing") > strings.Index(out, "writing") || strings.Count(out, "fixing") != 1 {
		t.Errorf("stages not one bar each, in order: %q", out)
	}
	buf.Reset()
	q := &stages{w: &buf, show: isTerminal(&buf)}
	q.Report("auditing", 0, 5)
	q.Report("auditing", 5, 5)
	q.Done()
	if buf.Len() != 0 {
		t.Errorf("bars on a non-terminal: %q", buf.String())
	}
}
