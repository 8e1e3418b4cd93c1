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
