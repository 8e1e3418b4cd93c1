package podspec

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// Annotated is one set of annotations with the object it is on, for
// provenance ("zerodrop.dev/longest-request on Deployment/shop/web").
type Annotated struct {
	On          string
	Annotations map[string]string
}

// ReadApp resolves what a workload's app does on SIGTERM and how long its
// requests run, from (most specific first) the zerodrop.dev/shutdown and
// zerodrop.dev/longest-request annotations in anns (the workload, then its
// pod template), a shell wrapper that keeps SIGTERM from the app (the
// serving containers' entrypoints, as ZD007 reads them), and def (the
// flags, the profile, zerodrop's defaults). An annotation that does not
// parse is an error naming it; the value then falls back to the next
// source.
func ReadApp(anns []Annotated, serving []*inventory.Container, def timing.App) (timing.App, []error) {
	app := def
	var errs []error
	shutdownSet, longestSet := false, false
	for _, a := range anns {
		if v, ok := a.Annotations[timing.ShutdownAnnotation]; ok && !shutdownSet {
			m, err := timing.ParseShutdown(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("annotation %s on %s: %w", timing.ShutdownAnnotation, a.On, err))
			} else {
				shutdownSet = true
				app.Shutdown = m
				app.ShutdownFrom = timing.Setting{Value: string(m), Source: timing.FromAnnotation, Detail: timing.ShutdownAnnotation + " on " + a.On}
			}
		}
		if v, ok := a.Annotations[timing.LongestRequestAnnotation]; ok && !longestSet {
			secs, err := timing.ParseLongestRequest(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("annotation %s on %s: %w", timing.LongestRequestAnnotation, a.On, err))
			} else {
				longestSet = true
				app.LongestRequest = timing.Range{Name: "longest request", Low: secs, High: secs, Source: timing.FromAnnotation,
					Detail: timing.LongestRequestAnnotation + " on " + a.On}
			}
		}
	}
	if !shutdownSet {
		for _, c := range serving {
			switch kind, _ := ClassifyEntrypoint(c); kind {
			case Compound, Backgrounded:
				app.Shutdown = timing.ShutdownIgnore
				app.ShutdownFrom = timing.Setting{Value: string(timing.ShutdownIgnore), Source: timing.FromManifest,
					Detail: "container " + c.Name + " starts the app from a shell that stays PID 1 and does not pass SIGTERM on (see ZD007)"}
				return app, errs
			}
		}
	}
	return app, errs
}
