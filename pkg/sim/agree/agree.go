// Package agree is the differential test between check and simulate: it
// generates single-workload configurations (a grid over the settings that
// matter to the rules, then seeded random combinations), runs each through
// check's analysis and through the simulator built from that analysis, and
// judges three properties over every event:
//
//   - P1, no false all-clear: check without a warning or error ⇒ no failed
//     request in any run, with delays drawn across their whole ranges, at
//     each end of them, and at each skew (sim.Skew: the delays that bring
//     traffic to new pods at one end, those that take it from old pods at
//     the other);
//   - P2, no unexplained drop: failed requests in at least 1% of the runs
//     of an event ⇒ a warning or error whose rule explains (sim.Links) a
//     cause the simulator reports for that event;
//   - P3, no unfounded error: every error ⇒ a run at the conservative end
//     of the rule's inequality (every delay high, or a skew) shows a cause
//     the rule explains; where it does not, the error is judged in
//     isolation: zerodrop fix's own patches for every other rule are
//     applied and the result is checked and simulated again, since where a
//     configuration has several errors the first mechanism to cut a request
//     takes it.
//
// Failures the event does not cause (sim.Cause.Steady: the idle timeout)
// are left out of all three.
//
// bench/agree.sh runs ten thousand configurations; the package's test runs
// a seeded sample.
package agree

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/fix"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/rules"
	"github.com/zerodrop/zerodrop/pkg/sim"
)

// Config is one generated configuration.
type Config struct {
	Index    int
	LB       string // ALB or NLB
	Target   string // ip or instance
	Gate     bool
	Local    bool   // externalTrafficPolicy: Local (NLB instance targets)
	PreStop  string // none, sleep, exec, shell
	PreStopS int
	Grace    int // -1: unset (30 s)
	Dereg    int // -1: unset (300 s)
	ConnTerm bool
	MinReady int
	PDB      string // none, maxUnavailable1, minAvailable1, maxUnavailable0
	Surge    string
	Unavail  string
	Replicas int
	Probe    bool
	// Interval and Healthy/Unhealthy thresholds; 0: unset.
	Interval, Healthy, Unhealthy int
	// Longest is the zerodrop.dev/longest-request annotation in seconds
	// (0: unset); Shutdown the zerodrop.dev/shutdown annotation ("": unset).
	Longest  int
	Shutdown string
	// Spread adds a zone topology spread constraint.
	Spread bool
}

// Annotations the model reads per workload.
const (
	LongestRequestAnno = "zerodrop.dev/longest-request"
	ShutdownAnno       = "zerodrop.dev/shutdown"
)

func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s/%s", c.Index, c.LB, c.Target)
	if c.Gate {
		b.WriteString(" gate")
	}
	if c.Local {
		b.WriteString(" etp=Local")
	}
	fmt.Fprintf(&b, " preStop=%s", c.PreStop)
	if c.PreStop != "none" {
		fmt.Fprintf(&b, ":%ds", c.PreStopS)
	}
	opt := func(name string, v int) {
		if v >= 0 {
			fmt.Fprintf(&b, " %s=%d", name, v)
		}
	}
	opt("grace", c.Grace)
	opt("dereg", c.Dereg)
	if c.ConnTerm {
		b.WriteString(" connTerm")
	}
	if c.MinReady > 0 {
		fmt.Fprintf(&b, " minReady=%d", c.MinReady)
	}
	fmt.Fprintf(&b, " pdb=%s surge=%s unavail=%s replicas=%d probe=%v", c.PDB, c.Surge, c.Unavail, c.Replicas, c.Probe)
	if c.Interval > 0 {
		fmt.Fprintf(&b, " hc=%d/%d/%d", c.Interval, c.Healthy, c.Unhealthy)
	}
	if c.Longest > 0 {
		fmt.Fprintf(&b, " longest=%ds", c.Longest)
	}
	if c.Shutdown != "" {
		fmt.Fprintf(&b, " shutdown=%s", c.Shutdown)
	}
	if c.Spread {
		b.WriteString(" spread")
	}
	return b.String()
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// grid is the product of the settings enumerated exhaustively before the
// random combinations start: LB × target type × gate × preStop form ×
// shutdown mode × connection termination.
var gridLB, gridTarget, gridPreStop, gridShutdown = []string{"ALB", "NLB"}, []string{"ip", "instance"},
	[]string{"none", "sleep", "exec", "shell"}, []string{"", "drain", "exit"}

// GridSize is how many configurations the grid holds.
var GridSize = len(gridLB) * len(gridTarget) * 2 * len(gridPreStop) * len(gridShutdown) * 2

// Generate returns configuration i of the series started with seed: the
// grid first (its other settings drawn at random), then random
// combinations of everything.
func Generate(seed uint64, i int) Config {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	c := Config{Index: i}
	if i < GridSize {
		k := i
		next := func(n int) int { v := k % n; k /= n; return v }
		c.LB = gridLB[next(len(gridLB))]
		c.Target = gridTarget[next(len(gridTarget))]
		c.Gate = next(2) == 1
		c.PreStop = gridPreStop[next(len(gridPreStop))]
		c.Shutdown = gridShutdown[next(len(gridShutdown))]
		c.ConnTerm = next(2) == 1
	} else {
		c.LB = pick(r, gridLB...)
		c.Target = pick(r, gridTarget...)
		c.Gate = r.IntN(2) == 0
		c.PreStop = pick(r, gridPreStop...)
		c.Shutdown = pick(r, gridShutdown...)
		c.ConnTerm = r.IntN(2) == 0
		if r.IntN(2) == 0 {
			// Half the random configurations start from a recommended
			// one and change a setting or two, so that clean
			// configurations (what P1 judges) are common.
			return nearGood(r, c)
		}
	}
	c.Gate = c.Gate && c.Target == "ip"
	c.ConnTerm = c.ConnTerm && c.LB == "NLB"
	c.Local = c.LB == "NLB" && c.Target == "instance" && r.IntN(2) == 0
	// preStop lengths around the stop-sending times of both LBs.
	c.PreStopS = pick(r, 5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 130, 150, 180, 200, 240, 300, 420)
	if c.PreStop == "none" {
		c.PreStopS = 0
	}
	switch r.IntN(4) {
	case 0:
		c.Grace = -1
	case 1:
		c.Grace = c.PreStopS + pick(r, 0, 5, 10, 30, 40, 60)
	case 2:
		c.Grace = max(c.PreStopS-pick(r, 5, 10, 20), 1)
	default:
		c.Grace = pick(r, 10, 30, 60, 120, 200, 300, 450)
	}
	c.Dereg = pick(r, -1, 0, 5, 30, 60, 120, 300)
	c.MinReady = pick(r, 0, 0, 0, 10, 30)
	c.PDB = pick(r, "none", "maxUnavailable1", "minAvailable1", "maxUnavailable0")
	c.Surge = pick(r, "0", "1", "25%", "100%")
	c.Unavail = pick(r, "0", "1", "25%", "100%")
	c.Replicas = pick(r, 1, 2, 3, 4, 6)
	c.Probe = r.IntN(4) != 0
	if r.IntN(3) == 0 {
		c.Interval = pick(r, 5, 10, 15, 30)
		c.Healthy = pick(r, 2, 3, 5)
		c.Unhealthy = pick(r, 2, 3, 5)
		if c.LB == "NLB" {
			c.Unhealthy = c.Healthy
		}
	}
	if r.IntN(2) == 0 {
		c.Longest = pick(r, 1, 5, 10, 30, 60)
	}
	c.Spread = r.IntN(2) == 0
	return c
}

// nearGood returns a recommended configuration for c's load balancer (ip
// targets, gate, a preStop above the stop-sending time, a grace period
// above preStop plus the longest request, a PDB, maxUnavailable 0) with one
// or two settings changed.
func nearGood(r *rand.Rand, c Config) Config {
	c.Target, c.Gate, c.Local, c.ConnTerm = "ip", true, false, false
	c.PreStop = pick(r, "sleep", "exec")
	c.Shutdown = pick(r, "", "drain")
	c.Longest = pick(r, 0, 1, 5, 10, 30)
	if c.LB == "ALB" {
		c.PreStopS = pick(r, 30, 45, 60, 180)
		c.Dereg = pick(r, 30, 45, 60, 300)
	} else {
		c.PreStopS = pick(r, 200, 240, 300, 420)
		c.Dereg = pick(r, -1, 30, 60, 300)
	}
	c.Grace = c.PreStopS + pick(r, 40, 60, 120)
	c.MinReady = pick(r, 0, 10)
	c.PDB = pick(r, "maxUnavailable1", "minAvailable1")
	c.Surge, c.Unavail = pick(r, "1", "25%"), "0"
	c.Replicas = pick(r, 2, 3, 4, 6)
	c.Probe = true
	c.Interval, c.Healthy, c.Unhealthy = 0, 0, 0
	c.Spread = true
	for range r.IntN(3) {
		switch r.IntN(12) {
		case 0:
			c.Target = "instance"
			c.Gate = false
			c.Local = c.LB == "NLB" && r.IntN(2) == 0
		case 1:
			c.Gate = false
		case 2:
			c.PreStopS = pick(r, 5, 10, 15, 20, 25, 120, 130, 150, 180)
		case 3:
			c.Grace = pick(r, -1, c.PreStopS, c.PreStopS+10, c.PreStopS+30, max(c.PreStopS-10, 1))
		case 4:
			c.Dereg = pick(r, 0, 5, 10, 20)
			c.ConnTerm = c.LB == "NLB" && r.IntN(2) == 0
		case 5:
			c.MinReady = pick(r, 10, 30, 60)
		case 6:
			c.PDB = pick(r, "none", "maxUnavailable0")
		case 7:
			c.Surge, c.Unavail = pick(r, "0", "100%"), pick(r, "1", "25%", "100%")
		case 8:
			c.Replicas = 1
		case 9:
			c.Probe = false
		case 10:
			c.Shutdown = "exit"
		case 11:
			c.Longest = pick(r, 60, 120)
		}
	}
	return c
}

// Manifests renders the configuration as one YAML stream.
func (c Config) Manifests() []byte {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: agree\n")
	if c.Gate {
		w("  labels:\n    elbv2.k8s.aws/pod-readiness-gate-inject: enabled\n")
	}
	w("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: agree\n")
	var ann []string
	if c.Longest > 0 {
		ann = append(ann, fmt.Sprintf("%s: %ds", LongestRequestAnno, c.Longest))
	}
	if c.Shutdown != "" {
		ann = append(ann, fmt.Sprintf("%s: %s", ShutdownAnno, c.Shutdown))
	}
	if len(ann) > 0 {
		w("  annotations:\n")
		for _, a := range ann {
			w("    %s\n", a)
		}
	}
	w("spec:\n  replicas: %d\n  selector:\n    matchLabels: {app: web}\n", c.Replicas)
	if c.MinReady > 0 {
		w("  minReadySeconds: %d\n", c.MinReady)
	}
	w("  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxSurge: %s, maxUnavailable: %s}\n", quote(c.Surge), quote(c.Unavail))
	w("  template:\n    metadata:\n      labels: {app: web}\n    spec:\n")
	if c.Grace >= 0 {
		w("      terminationGracePeriodSeconds: %d\n", c.Grace)
	}
	if c.Spread {
		w("      topologySpreadConstraints:\n      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}\n")
	}
	w("      containers:\n      - name: app\n        image: example.com/app:1\n        ports:\n        - {name: http, containerPort: 8080}\n")
	if c.Probe {
		w("        readinessProbe:\n          httpGet: {path: /ready, port: http}\n          periodSeconds: 5\n")
	}
	switch c.PreStop {
	case "sleep":
		w("        lifecycle:\n          preStop:\n            sleep: {seconds: %d}\n", c.PreStopS)
	case "exec":
		w("        lifecycle:\n          preStop:\n            exec: {command: [\"sleep\", \"%d\"]}\n", c.PreStopS)
	case "shell":
		w("        lifecycle:\n          preStop:\n            exec: {command: [\"/bin/sh\", \"-c\", \"sleep %d\"]}\n", c.PreStopS)
	}
	attrs := []string{}
	if c.Dereg >= 0 {
		attrs = append(attrs, fmt.Sprintf("deregistration_delay.timeout_seconds=%d", c.Dereg))
	}
	if c.ConnTerm {
		attrs = append(attrs, "deregistration_delay.connection_termination.enabled=true")
	}
	w("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: agree\n")
	if c.LB == "NLB" {
		w("  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: %s\n", c.Target)
		if len(attrs) > 0 {
			w("    service.beta.kubernetes.io/aws-load-balancer-target-group-attributes: %s\n", strings.Join(attrs, ","))
		}
		if c.Interval > 0 {
			w("    service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval: %q\n", fmt.Sprint(c.Interval))
			w("    service.beta.kubernetes.io/aws-load-balancer-healthcheck-healthy-threshold: %q\n", fmt.Sprint(c.Healthy))
			w("    service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold: %q\n", fmt.Sprint(c.Unhealthy))
		}
		w("spec:\n  type: LoadBalancer\n")
		if c.Local {
			w("  externalTrafficPolicy: Local\n")
		}
	} else {
		w("spec:\n")
		if c.Target == "instance" {
			w("  type: NodePort\n")
		}
	}
	w("  selector: {app: web}\n  ports:\n  - {port: 80, targetPort: http}\n")
	if c.LB == "ALB" {
		w("---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: agree\n  annotations:\n")
		w("    alb.ingress.kubernetes.io/target-type: %s\n", c.Target)
		if len(attrs) > 0 {
			w("    alb.ingress.kubernetes.io/target-group-attributes: %s\n", strings.Join(attrs, ","))
		}
		if c.Interval > 0 {
			w("    alb.ingress.kubernetes.io/healthcheck-interval-seconds: %q\n", fmt.Sprint(c.Interval))
			w("    alb.ingress.kubernetes.io/healthy-threshold-count: %q\n", fmt.Sprint(c.Healthy))
			w("    alb.ingress.kubernetes.io/unhealthy-threshold-count: %q\n", fmt.Sprint(c.Unhealthy))
		}
		w("spec:\n  ingressClassName: alb\n  rules:\n  - http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n")
	}
	switch c.PDB {
	case "maxUnavailable1":
		w("---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: agree}\nspec:\n  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n")
	case "minAvailable1":
		w("---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: agree}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n")
	case "maxUnavailable0":
		w("---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: agree}\nspec:\n  maxUnavailable: 0\n  selector: {matchLabels: {app: web}}\n")
	}
	return []byte(b.String())
}

func quote(s string) string {
	if strings.HasSuffix(s, "%") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// Settings of the simulated traffic: enough requests that a window of a
// second shows, few enough to run ten thousand configurations quickly;
// LongShare makes the longest request happen when the workload declares it
// (zerodrop.dev/longest-request). An undeclared longest request is only
// zerodrop's default, which check judges at info level, so the simulator
// then keeps to the log-normal durations, where it is only a cap.
const (
	RPS       = 20
	LongShare = 0.01
	// RandomRuns are the runs with random draws, besides one at each end
	// of the ranges.
	RandomRuns = 2
)

// EventOutcome is what the simulator showed for one event.
type EventOutcome struct {
	Event sim.Event
	// Runs and FailedRuns count runs; Causes are those of every run,
	// HighCauses those of the run with every delay at its high end.
	Runs, FailedRuns int
	Causes           []sim.Cause
	HighCauses       []sim.Cause
	// HighStalled: the high-end run never finished or missed its deadline.
	HighStalled bool
	Skipped     string
}

// Verdict is a configuration judged.
type Verdict struct {
	Config   Config
	Findings []finding.Finding // unsuppressed warnings and errors
	Events   []EventOutcome
	// InputErrors are problems reading the manifests (a generator bug).
	InputErrors []string
	// P1 is violated when check is clean and a run failed requests.
	P1 bool
	// P2 lists the events whose drops no finding explains; P2Judged the
	// events that dropped in at least 1% of runs.
	P2, P2Judged []sim.Event
	// P3 lists the error rules the simulator does not reproduce, even in
	// isolation (P3Notes says what isolation showed); P3Judged every error
	// rule; Isolated the error rules reproduced only once the other
	// findings were fixed.
	P3, P3Judged, Isolated []string
	P3Notes                []string

	seed uint64
}

// Judge runs one configuration through check and the simulator.
func Judge(c Config, seed uint64) Verdict {
	v := Verdict{Config: c, seed: seed ^ uint64(c.Index)<<20}
	v.Findings, v.Events, v.InputErrors = judgeStream(fmt.Sprintf("agree-%d.yaml", c.Index), c.Manifests(), v.seed)
	if len(v.InputErrors) > 0 {
		return v
	}
	v.judge()
	return v
}

// judgeStream checks a YAML stream holding one exposed workload and simulates every
// event: the runs at each end of the ranges, at each skew, and RandomRuns
// random ones. It returns the unsuppressed warnings and errors, what each
// event showed, and any problem reading the stream.
func judgeStream(name string, data []byte, seed uint64) (findings []finding.Finding, events []EventOutcome, inputErrors []string) {
	lr := load.Bytes(name, data, load.Options{})
	for _, e := range lr.Errors {
		inputErrors = append(inputErrors, e.Error())
	}
	res, cases := sim.Analyze(lr, check.Options{})
	for _, e := range res.Errors {
		inputErrors = append(inputErrors, e.Message)
	}
	for _, f := range res.Findings {
		if !f.Suppressed && f.Severity >= finding.Warning {
			findings = append(findings, f)
		}
	}
	if len(cases) != 1 {
		inputErrors = append(inputErrors, fmt.Sprintf("%d simulated cases, want 1", len(cases)))
		return findings, nil, inputErrors
	}
	cs := cases[0]
	for _, ev := range sim.Events() {
		o := EventOutcome{Event: ev}
		p := cs.Params
		p.Event, p.RPS = ev, RPS
		if cs.App.Declared() {
			p.LongShare = LongShare
		}
		if cs.Skip != "" {
			o.Skipped = cs.Skip
			events = append(events, o)
			continue
		}
		if err := p.Validate(); err != nil {
			o.Skipped = err.Error()
			events = append(events, o)
			continue
		}
		runs := []sim.Params{p.AtEnd(false), p.AtEnd(true), p.Skewed(sim.SkewLateJoin), p.Skewed(sim.SkewEarlyJoin)}
		for range RandomRuns {
			runs = append(runs, p)
		}
		for i, q := range runs {
			r, err := sim.Simulate(q, sim.RunSeed(seed, i))
			if err != nil {
				o.Skipped = err.Error()
				break
			}
			o.Runs++
			failed := false
			for _, cc := range r.Causes {
				// Steady causes fail requests with or without the event.
				if cc.Cause.Steady() {
					continue
				}
				failed = true
				if !slices.Contains(o.Causes, cc.Cause) {
					o.Causes = append(o.Causes, cc.Cause)
				}
				if i == 1 && !slices.Contains(o.HighCauses, cc.Cause) {
					o.HighCauses = append(o.HighCauses, cc.Cause)
				}
			}
			if failed {
				o.FailedRuns++
			}
			if i == 1 {
				o.HighStalled = r.Done < 0 || r.DeadlineExceeded
			}
		}
		events = append(events, o)
	}
	return findings, events, inputErrors
}

// isolate judges an error of rule that the configuration's own runs did
// not reproduce, in isolation: where a configuration has several errors, the
// first mechanism to cut a request takes it (an app that exits at once
// leaves nothing in flight for a later connection termination to cut). It
// applies zerodrop fix's own patches for every other rule's findings (a dry
// run of pkg/fix, rounds included), checks and simulates the result again,
// and reports whether rule is still an error there and the simulator shows
// a cause the rule explains. The fixed stream is returned for examples.
func isolate(v *Verdict, rule string, seed uint64) (reproduced bool, note string) {
	others := map[string]bool{}
	for _, r := range rules.All() {
		if r.ID != rule {
			others[r.ID] = true
		}
	}
	res, err := fix.Run(context.Background(), fix.Options{
		Check:  check.Options{Paths: []string{"-"}, Stdin: bytes.NewReader(v.Config.Manifests())},
		DryRun: true, Rules: others,
	})
	if err != nil {
		return false, "fix: " + err.Error()
	}
	var b bytes.Buffer
	for _, f := range res.Files {
		if b.Len() > 0 {
			b.WriteString("\n---\n")
		}
		b.Write(f.After)
	}
	if b.Len() == 0 {
		return false, "zerodrop fix changes nothing for the other findings"
	}
	var changes []string
	for _, c := range res.Changes {
		changes = append(changes, c.Rule+": "+c.What)
	}
	note = "with the other findings fixed (" + strings.Join(changes, "; ") + ")"
	findings, events, inputErrors := judgeStream(fmt.Sprintf("agree-%d-isolated-%s.yaml", v.Config.Index, rule), b.Bytes(), seed)
	if len(inputErrors) > 0 {
		return false, note + ": " + strings.Join(inputErrors, "; ")
	}
	still := false
	for _, f := range findings {
		still = still || f.Rule == rule && f.Severity == finding.Error
	}
	if !still {
		return false, note + ": no longer an error"
	}
	w := Verdict{Findings: findings, Events: events}
	if w.reproduced(rule) {
		return true, note
	}
	return false, note + ": " + strings.TrimSpace(w.describeEvents())
}

func (v *Verdict) judge() {
	failed := false
	for _, o := range v.Events {
		if o.FailedRuns > 0 {
			failed = true
		}
	}
	v.P1 = failed && len(v.Findings) == 0
	for _, o := range v.Events {
		if o.Runs == 0 || o.FailedRuns*100 < o.Runs {
			continue
		}
		v.P2Judged = append(v.P2Judged, o.Event)
		if !v.explained(o) {
			v.P2 = append(v.P2, o.Event)
		}
	}
	for _, f := range v.Findings {
		if f.Severity != finding.Error || slices.Contains(v.P3Judged, f.Rule) {
			continue
		}
		v.P3Judged = append(v.P3Judged, f.Rule)
		if v.reproduced(f.Rule) {
			continue
		}
		if ok, note := isolate(v, f.Rule, v.seed); ok {
			v.Isolated = append(v.Isolated, f.Rule)
		} else {
			v.P3 = append(v.P3, f.Rule)
			v.P3Notes = append(v.P3Notes, f.Rule+" "+note)
		}
	}
}

func (v *Verdict) explained(o EventOutcome) bool {
	for _, f := range v.Findings {
		for _, c := range o.Causes {
			if sim.Explains(f.Rule, c, o.Event) {
				return true
			}
		}
	}
	return false
}

// reproduced: in some event, a run (the one at the high end of every range
// among them) shows a cause the rule explains there, or, for the health
// check rule (ZD009), the high-end rollout stalls. All runs count, not the high-end one alone: where
// several errors apply, the first mechanism to cut a request takes it, and
// which comes first varies with the draws.
func (v *Verdict) reproduced(rule string) bool {
	for _, o := range v.Events {
		for _, c := range o.Causes {
			if sim.Explains(rule, c, o.Event) {
				return true
			}
		}
		if rule == rules.HealthCheck.ID && o.Event == sim.Rollout && o.HighStalled {
			return true
		}
	}
	return false
}

// Rules lists the rule IDs of the verdict's findings with their severity.
func (v *Verdict) Rules() string {
	var out []string
	for _, f := range v.Findings {
		out = append(out, fmt.Sprintf("%s %s", f.Rule, f.Severity))
	}
	if len(out) == 0 {
		return "clean"
	}
	return strings.Join(out, ", ")
}

// Describe says what the simulator showed, for a violation's example.
func (v *Verdict) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n    check: %s\n", v.Config, v.Rules())
	b.WriteString(v.describeEvents())
	for _, n := range v.P3Notes {
		fmt.Fprintf(&b, "    isolated: %s\n", n)
	}
	return b.String()
}

func (v *Verdict) describeEvents() string {
	var b strings.Builder
	for _, o := range v.Events {
		if o.Skipped != "" {
			fmt.Fprintf(&b, "    %s: not simulated: %s\n", o.Event, o.Skipped)
			continue
		}
		var cs []string
		for _, c := range o.Causes {
			cs = append(cs, c.Name())
		}
		fmt.Fprintf(&b, "    %s: %d of %d runs failed requests %v\n", o.Event, o.FailedRuns, o.Runs, cs)
	}
	return b.String()
}

// Tally sums verdicts.
type Tally struct {
	Configs, InputErrors int
	P1Clean, P1          int // clean configurations; those that dropped
	P2Judged, P2         int // events that dropped; unexplained ones
	P3Judged, P3         int // error rules; unreproduced ones
	P1Examples           []string
	P2Examples           []string
	P3Examples           []string
	InputExamples        []string
	// Unexplained and Unfounded count violations by rule or event cause.
	Unfounded   map[string]int
	Unexplained map[string]int
	// Isolated counts, by rule, the errors reproduced only once the other
	// findings were fixed.
	Isolated map[string]int
}

// Add counts one verdict, keeping the first few examples of each
// violation.
func (t *Tally) Add(v Verdict, examples int) {
	if t.Unfounded == nil {
		t.Unfounded, t.Unexplained, t.Isolated = map[string]int{}, map[string]int{}, map[string]int{}
	}
	for _, r := range v.Isolated {
		t.Isolated[r]++
	}
	t.Configs++
	keep := func(list *[]string, s string) {
		if len(*list) < examples {
			*list = append(*list, s)
		}
	}
	if len(v.InputErrors) > 0 {
		t.InputErrors++
		keep(&t.InputExamples, fmt.Sprintf("%s\n    %s", v.Config, strings.Join(v.InputErrors, "; ")))
		return
	}
	if len(v.Findings) == 0 {
		t.P1Clean++
	}
	if v.P1 {
		t.P1++
		keep(&t.P1Examples, v.Describe())
	}
	t.P2Judged += len(v.P2Judged)
	t.P2 += len(v.P2)
	if len(v.P2) > 0 {
		keep(&t.P2Examples, v.Describe())
		for _, o := range v.Events {
			if slices.Contains(v.P2, o.Event) {
				for _, c := range o.Causes {
					t.Unexplained[string(o.Event)+" "+c.Name()]++
				}
			}
		}
	}
	t.P3Judged += len(v.P3Judged)
	t.P3 += len(v.P3)
	if len(v.P3) > 0 {
		keep(&t.P3Examples, fmt.Sprintf("unreproduced %v: %s", v.P3, v.Describe()))
		for _, r := range v.P3 {
			t.Unfounded[r]++
		}
	}
}

func pct(bad, all int) float64 {
	if all == 0 {
		return 100
	}
	return 100 * float64(all-bad) / float64(all)
}

// P2Agreement and P3Agreement are the shares of judged cases that hold.
func (t *Tally) P2Agreement() float64 { return pct(t.P2, t.P2Judged) }
func (t *Tally) P3Agreement() float64 { return pct(t.P3, t.P3Judged) }

// Report prints the counts and the examples.
func (t *Tally) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "configurations: %d (input errors: %d)\n", t.Configs, t.InputErrors)
	fmt.Fprintf(&b, "P1 no false all-clear:  %d of %d clean configurations dropped requests\n", t.P1, t.P1Clean)
	fmt.Fprintf(&b, "P2 no unexplained drop: %d of %d dropping events unexplained (%.2f%% agree)\n", t.P2, t.P2Judged, t.P2Agreement())
	fmt.Fprintf(&b, "P3 no unfounded error:  %d of %d errors not reproduced (%.2f%% agree)\n", t.P3, t.P3Judged, t.P3Agreement())
	counts := func(title string, m map[string]int) {
		if len(m) == 0 {
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int { return m[b] - m[a] })
		fmt.Fprintf(&b, "%s:", title)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s ×%d;", k, m[k])
		}
		b.WriteString("\n")
	}
	counts("unexplained drops by event and cause", t.Unexplained)
	counts("unreproduced errors by rule", t.Unfounded)
	counts("errors reproduced only with the other findings fixed", t.Isolated)
	ex := func(title string, list []string) {
		if len(list) == 0 {
			return
		}
		fmt.Fprintf(&b, "\nfirst %s:\n", title)
		for _, s := range list {
			fmt.Fprintf(&b, "  %s\n", strings.TrimRight(s, "\n"))
		}
	}
	ex("input errors", t.InputExamples)
	ex("P1 violations", t.P1Examples)
	ex("P2 violations", t.P2Examples)
	ex("P3 violations", t.P3Examples)
	return b.String()
}
