package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/load"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

// TestManifestsCheckClean: `zerodrop check examples/echoserver/deploy` has
// no finding at all.
func TestManifestsCheckClean(t *testing.T) {
	res := check.Run(context.Background(), check.Options{Paths: []string{"deploy"}, Load: load.Options{Recursive: true}})
	if len(res.Errors) > 0 {
		t.Fatalf("input errors %+v", res.Errors)
	}
	for _, f := range res.Findings {
		if f.Severity >= finding.Info {
			t.Errorf("%s %s %s: %s", f.Severity, f.Rule, f.Object, f.Message)
		}
	}
	if res.Summary.Exposures == 0 {
		t.Error("the ALB in front of the echoserver was not found")
	}
}

// TestManifestTimingFitsTheServer: the grace period covers the preStop
// sleep, the server's drain delay and its shutdown timeout, as set by the
// container's arguments.
func TestManifestTimingFitsTheServer(t *testing.T) {
	b, err := os.ReadFile("deploy/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	if err := yaml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	drain, shutdown := time.Duration(0), time.Duration(0)
	for _, a := range c.Args {
		name, val, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		v, err := time.ParseDuration(val)
		switch name {
		case "drain-delay":
			drain = v
		case "shutdown-timeout":
			shutdown = v
		default:
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	if drain == 0 || shutdown == 0 {
		t.Fatalf("args %v: want -drain-delay and -shutdown-timeout", c.Args)
	}
	preStop := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	if grace < preStop+drain+shutdown {
		t.Errorf("terminationGracePeriodSeconds %v < preStop %v + drain delay %v + shutdown timeout %v", grace, preStop, drain, shutdown)
	}
	if preStop < 25*time.Second {
		t.Errorf("preStop %v: the ALB may keep sending for up to 20 s, plus 5 s of margin", preStop)
	}
	for _, p := range []string{c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path} {
		if p != "/readyz" && p != "/livez" {
			t.Errorf("probe path %s is not one the server serves for probes", p)
		}
	}
}
