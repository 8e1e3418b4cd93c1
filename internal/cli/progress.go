package cli

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is a bar on stderr for runs that can take seconds (simulate's
// Monte Carlo over many workloads, --plan). It shows only when stderr is a
// terminal, so pipes, CI logs and JSON consumers never see it, and it
// clears itself when done.
type progress struct {
	bar *progressbar.ProgressBar
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	fd, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(fd.Fd()))
}

// newProgress starts a bar of total steps on w when show is true; a nil
// *progress does nothing, so callers need not check.
func newProgress(w io.Writer, show bool, total int, what string) *progress {
	if !show || total <= 1 {
		return nil
	}
	return &progress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
	)}
}

// Add counts n steps done.
func (p *progress) Add(n int) {
	if p != nil {
		p.bar.Add(n)
	}
}

// Done removes the bar.
func (p *progress) Done() {
	if p != nil {
		p.bar.Finish()
	}
}

// stages turns a library's progress reports (stage, steps done of total)
// into bars on w, one per stage, each cleared when the next starts or
// when Done is called. Nothing is drawn unless show is true.
type stages struct {
	w     io.Writer
	show  bool
	stage string
	done  int
	bar   *progress
}

// Report is the callback handed to the library.
func (s *stages) Report(stage string, done, total int) {
	if !s.show {
		return
	}
	if stage != s.stage {
		s.bar.Done()
		s.stage, s.done = stage, 0
		s.bar = newProgress(s.w, true, total, stage)
	}
	if done > s.done {
		s.bar.Add(done - s.done)
		s.done = done
	}
}

// Done removes the last bar.
func (s *stages) Done() {
	s.bar.Done()
	s.bar = nil
}
