package lab

import (
	"context"
	"testing"
	"time"
)

// TestFromManifests reads the lab's configurations as check reads them:
// the emulator gets the annotations' health checks and delays, and the
// simulator's case for the same objects.
func TestFromManifests(t *testing.T) {
	ctx := context.Background()
	const dir, profile = "../../tools/lab/manifests/", "../../tools/lab/manifests/profile.yaml"
	sc, err := FromManifests(ctx, dir+"alb-recommended", profile)
	if err != nil {
		t.Fatal(err)
	}
	tg := sc.TargetGroup
	if !tg.IP || !tg.HTTP || tg.HealthPath != "/readyz" || tg.Interval != 5*time.Second || tg.Timeout != 2*time.Second ||
		tg.NewTargetChecks != 1 || tg.DeregistrationDelay != 8*time.Second || !tg.ConnectionTermination ||
		tg.Namespace != "echoserver" || tg.Service != "echoserver-service" || tg.ServicePort.Name != "http" {
		t.Errorf("alb-recommended: %+v", tg)
	}
	// The profile's 4 s deregister propagation is the top of the range the
	// simulator draws from; the emulator draws from the same one.
	if tg.DeregisterPropagation.Max != 4 || tg.Reconcile.Max != 2 || tg.GateRequeue != 2*time.Second {
		t.Errorf("alb-recommended delays: %+v", tg)
	}
	if p := sc.Case.Params; !p.Gate || p.PreStop != 8 || p.Replicas != 3 {
		t.Errorf("alb-recommended case: %+v", p)
	}

	sc, err = FromManifests(ctx, dir+"nlb-recommended", profile)
	if err != nil {
		t.Fatal(err)
	}
	tg = sc.TargetGroup
	if !tg.IP || tg.HTTP || tg.HealthPath != "/readyz" || tg.NewTargetChecks != 2 || tg.ConnectionTermination ||
		tg.DeregistrationDelay != 12*time.Second || tg.DeregisterPropagation.Max != 8 {
		t.Errorf("nlb-recommended: %+v", tg)
	}

	for _, d := range []string{"alb-naive", "nlb-naive"} {
		sc, err = FromManifests(ctx, dir+d, profile)
		if err != nil {
			t.Fatal(err)
		}
		if sc.TargetGroup.IP || sc.Case.Params.PreStop != 0 || sc.Case.Params.PDB != nil {
			t.Errorf("%s: want instance targets, no preStop, no budget in force: %+v", d, sc.TargetGroup)
		}
	}
	if sc.TargetGroup.HealthPath != "" {
		t.Errorf("nlb-naive: an NLB checks TCP by default, got path %q", sc.TargetGroup.HealthPath)
	}

	if _, err := FromManifests(ctx, dir, profile); err == nil {
		t.Error("a directory with no manifest of its own (and four below it) must be refused")
	}
}
