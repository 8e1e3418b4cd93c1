package timing

import (
	"fmt"
	"strings"
	"time"
)

// Annotations a workload (or its pod template) uses to declare what no
// manifest field says about its app.
const (
	// ShutdownAnnotation: what the app does on SIGTERM, "drain" or "exit".
	ShutdownAnnotation = "zerodrop.dev/shutdown"
	// LongestRequestAnnotation: the longest request the app serves, a
	// duration such as 45s or 2m.
	LongestRequestAnnotation = "zerodrop.dev/longest-request"
)

// Shutdown is what an app does when SIGTERM reaches it.
type Shutdown string

// Shutdown modes.
const (
	// ShutdownDrain: the app stops accepting, finishes in-flight requests,
	// then exits (net/http Server.Shutdown and the like).
	ShutdownDrain Shutdown = "drain"
	// ShutdownExit: the app exits at once, cutting in-flight requests.
	ShutdownExit Shutdown = "exit"
	// ShutdownIgnore: SIGTERM never reaches the app (a shell wrapper is PID
	// 1 and does not pass it on): it serves until SIGKILL at the end of the
	// grace period. Inferred from the entrypoint, never declared.
	ShutdownIgnore Shutdown = "ignore"
)

// ParseShutdown reads a declared shutdown mode: drain or exit.
func ParseShutdown(s string) (Shutdown, error) {
	switch m := Shutdown(strings.ToLower(strings.TrimSpace(s))); m {
	case ShutdownDrain, ShutdownExit:
		return m, nil
	}
	return "", fmt.Errorf("shutdown mode %q: want drain or exit", s)
}

// ParseLongestRequest reads a declared longest request: a Go or Kubernetes
// duration (45s, 2m, 1m30s), positive, whole seconds or more. Fractions of
// a second round up.
func ParseLongestRequest(s string) (int64, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("longest request %q: want a duration such as 45s or 2m", s)
	}
	if d <= 0 || d > maxDelay*time.Second {
		return 0, fmt.Errorf("longest request %q: want a duration above 0 and at most 24h", s)
	}
	return int64((d + time.Second - 1) / time.Second), nil
}

// App is what the timing model knows of one workload's app: what it does
// on SIGTERM and how long its requests run. check's rules and the simulator
// read it from the analysis (rules.Pass.App), never resolve it themselves.
type App struct {
	// Shutdown is the mode in effect, with where it came from
	// (annotation, inferred from the entrypoint, flag, profile, default).
	Shutdown Shutdown
	// ShutdownFrom says where Shutdown came from.
	ShutdownFrom Setting
	// LongestRequest is the longest request: a point when declared on the
	// workload or by flag, else the profile's range.
	LongestRequest Range
	// ShutdownAllowance is the profile's shutdown allowance.
	ShutdownAllowance Range
}

// Declared reports whether the longest request was stated by the user
// (annotation, flag or profile) rather than zerodrop's default.
func (a App) Declared() bool { return a.LongestRequest.Source != FromDefault }

// ShutdownDeclared reports whether the shutdown mode was stated by the user
// or inferred from the manifest rather than zerodrop's default.
func (a App) ShutdownDeclared() bool { return a.ShutdownFrom.Source != FromDefault }
