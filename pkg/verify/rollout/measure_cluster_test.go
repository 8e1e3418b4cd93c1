package rollout

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/pkg/loadgen"
	"github.com/zerodrop/zerodrop/pkg/verify"
)

// TestMeasureOnRealControlPlane runs the verify engine as a library, with
// no command around it: traffic to a server on 127.0.0.1 and a scale-in of
// a real Deployment (internal/testenv's control plane) on the same
// timeline.
func TestMeasureOnRealControlPlane(t *testing.T) {
	env, ns, client, ctx := onCluster(t)
	createWeb(t, ctx, client, ns, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()

	one := int32(1)
	var notes []string
	out, err := verify.Measure(ctx, verify.Options{
		Traffic:    loadgen.Config{URL: srv.URL, Method: "GET", Rate: 20, MaxConcurrency: 5, Timeout: time.Second},
		Disruption: &Disruption{Client: client, Namespace: ns, Name: "web", ScaleTo: &one, Note: func(s string) { notes = append(notes, s) }},
		Warmup:     300 * time.Millisecond, Settle: 300 * time.Millisecond, Limit: time.Minute,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, env.LogTail(20))
	}
	if out.DisruptionErr != nil {
		t.Fatalf("scale-in: %v\n%s", out.DisruptionErr, env.LogTail(20))
	}
	rep := verify.Build(out.Run)
	got, count := story(out.Run.Events)
	if count["rollout:scale-in"] != 1 || count["pod:deleted"] != 1 || count["rollout:settled"] != 1 {
		t.Errorf("events:\n%s", got)
	}
	if len(notes) != 1 {
		t.Errorf("notes %q: want one, no Service selects the pods", notes)
	}
	if rep.Rollout == nil || rep.Rollout.Workload != "deployment/web" || rep.Rollout.Namespace != ns || rep.Rollout.SettledS == nil ||
		rep.DurationS < *rep.Rollout.SettledS+0.25 || rep.Requests.Failed != 0 || rep.Requests.Total < 10 || !rep.Passed {
		t.Errorf("report: rollout %+v, %.2fs, requests %+v", rep.Rollout, rep.DurationS, rep.Requests)
	}
}
