package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	zdcheck "github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/rules"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// inputOptions are the check options simulate builds for a file.
func inputOptions(paths ...string) zdcheck.Options {
	return zdcheck.Options{Paths: paths, KubeVersion: rules.DefaultKubeVersion}
}

// TestPlayManifest runs the engine as a library on a manifest from
// testdata: the draft as it is drops requests in a rollout and a scale-in,
// the same manifest as 'zerodrop fix' leaves it drops none, and the outcome
// is the same byte for byte on one worker or two.
func TestPlayManifest(t *testing.T) {
	ctx := context.Background()
	an, err := AnalyzeInputs(ctx, inputOptions("testdata/web.yaml"), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(an.InputErrors) != 0 || len(an.Sources) != 2 || an.Sources[0].Variant != "current" || an.Sources[1].Variant != "fixed" ||
		len(an.Sources[0].Cases) != 1 || len(an.Sources[1].Cases) != 1 {
		t.Fatalf("analysis: %d input errors, sources %+v", len(an.InputErrors), an.Sources)
	}
	opts := DefaultOptions()
	opts.Events, opts.Runs, opts.Workers = []Event{Rollout, ScaleIn}, 3, 1
	var steps [][2]int
	opts.Progress = func(done, total int) { steps = append(steps, [2]int{done, total}) }
	rep, err := Play(ctx, an, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 4 || rep.Runs != 3 || rep.Seed != 1 || rep.SchemaVersion != SchemaVersion {
		t.Fatalf("%d results, runs %d, seed %d", len(rep.Results), rep.Runs, rep.Seed)
	}
	for i, want := range []struct {
		variant string
		event   Event
		drops   bool
	}{{"current", Rollout, true}, {"current", ScaleIn, true}, {"fixed", Rollout, false}, {"fixed", ScaleIn, false}} {
		r := rep.Results[i]
		if r.Variant != want.variant || r.Event != want.event || (r.Requests.Failed > 0) != want.drops || r.Requests.Total == 0 ||
			r.Workload != "Deployment/web in shop" || r.Percentiles == nil {
			t.Errorf("result %d: %s %s, requests %+v; want %s %s, drops %v", i, r.Variant, r.Event, r.Requests, want.variant, want.event, want.drops)
		}
	}
	if len(steps) != 5 || steps[0] != [2]int{0, 4} || steps[4] != [2]int{4, 4} {
		t.Errorf("progress %v", steps)
	}
	joined := strings.Join(rep.Assumptions, "\n")
	for _, want := range []string{"built-in timing presets", "Deployment/web in shop: on SIGTERM the app drains"} {
		if !strings.Contains(joined, want) {
			t.Errorf("assumptions lack %q:\n%s", want, joined)
		}
	}

	opts.Workers, opts.Progress = 2, nil
	again, err := Play(ctx, an, opts)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(rep)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Error("the outcome depends on the number of workers")
	}
}

// TestPlayOptions: the overrides reach the cases, --plan makes plans, the
// built-in scenario plays without input, and a median above the longest
// request is a DurationError.
func TestPlayOptions(t *testing.T) {
	ctx := context.Background()
	an, err := AnalyzeInputs(ctx, inputOptions("testdata/web.yaml"), false)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	two, zero := 2, 0
	opts.Replicas, opts.Nodes, opts.ScaleTo, opts.DrainNodes, opts.RPS, opts.App = 6, 3, &two, &zero, 40, AppExit
	opts.Events, opts.LBConnections = []Event{ScaleIn}, 12
	rep, err := Play(ctx, an, opts)
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Results[0].Parameters
	if p.Replicas != 6 || p.Nodes != 3 || p.ScaleTo != 2 || p.DrainNodes != 0 || p.RPS != 40 || p.App != AppExit || p.Conns != 12 {
		t.Errorf("parameters %+v", p)
	}
	if !strings.Contains(strings.Join(rep.Assumptions, "\n"), "[--app exit]") {
		t.Errorf("assumptions do not name the --app override: %q", rep.Assumptions)
	}

	plan := DefaultOptions()
	plan.PlanSurges = []intstr.IntOrString{intstr.FromInt32(1), intstr.FromString("50%")}
	rep, err = Play(ctx, an, plan)
	if err != nil || len(rep.Plans) != 1 || len(rep.Results) != 0 || len(rep.Plans[0].Rows) != 2 {
		t.Errorf("plan: %v, %+v", err, rep)
	}

	built := AnalyzeBuiltIn(inputOptions())
	rep, err = Play(ctx, built, DefaultOptions())
	if err != nil || len(rep.Results) != len(BuiltIn()) || !strings.HasPrefix(rep.Assumptions[0], "built-in scenario") {
		t.Errorf("built-in: %v, %d results, assumptions %q", err, len(rep.Results), rep.Assumptions)
	}

	slow := DefaultOptions()
	slow.DurationMedian = 60
	var de *DurationError
	if _, err := Play(ctx, an, slow); !errors.As(err, &de) || de.Workload != "Deployment/web in shop" || de.Max != 30 {
		t.Errorf("median above the longest request: %v", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Play(cancelled, an, DefaultOptions()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestAnalyzeInputsErrors: a broken document is an input error with its
// file and line, and the rest is still analyzed.
func TestAnalyzeInputsErrors(t *testing.T) {
	opts := inputOptions("-")
	opts.Stdin = strings.NewReader("kind: [\n")
	opts.Load = load.Options{}
	an, err := AnalyzeInputs(context.Background(), opts, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(an.InputErrors) == 0 || !strings.Contains(an.InputErrors[0].Error(), ":1") {
		t.Errorf("input errors %v", an.InputErrors)
	}
}
