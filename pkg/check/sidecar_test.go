package check_test

import (
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// A native sidecar that serves the load balancer and has no preStop of its
// own is judged by the main containers' hook it waits for, and the evidence
// says whose hook that is; its patch goes to initContainers.
func TestNativeSidecarJudgedByMainPreStop(t *testing.T) {
	in := strings.Replace(caseFile(t, "ZD003_good_native_sidecar_waits_for_main_prestop"), "seconds: 25", "seconds: 8", 1)
	res := analyze(t, in, check.Options{Only: map[string]bool{"ZD003": true}})
	f := one(t, res, "ZD003")
	if f.Container != "proxy" || !strings.Contains(f.Message, "Container proxy is a native sidecar without a longer preStop of its own: it gets SIGTERM only once the main containers have exited, so its preStop is taken as container app's.") {
		t.Errorf("finding on %q: %s", f.Container, f.Message)
	}
	e := evidence(t, f, "preStop")
	if e.Value != int64(8) || e.Source != timing.FromManifest || e.Detail != "native sidecar proxy gets SIGTERM after the main containers exit: container app lifecycle.preStop.sleep" {
		t.Errorf("preStop evidence = %v (%s: %s)", e.Value, e.Source, e.Detail)
	}
	spec := f.Patch.Merge["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	if _, ok := spec["initContainers"]; !ok || spec["containers"] != nil {
		t.Errorf("patch does not target initContainers: %v", spec)
	}
}
