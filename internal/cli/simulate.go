package cli

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zerodrop/zerodrop/pkg/kubeversion"
	"github.com/zerodrop/zerodrop/pkg/sim"
	"github.com/zerodrop/zerodrop/pkg/sim/simreport"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type simulateFlags struct {
	check      checkFlags
	events     string
	rps        float64
	replicas   int
	runs       int
	seed       uint64
	workers    int
	report     string
	compare    bool
	plan       bool
	planSurges string
	scaleTo    int
	nodes      int
	drainNodes int
	app        string
	durationMs float64
	keepAlive  float64
	idleRace   float64
	lbConns    float64
	failOnDrop bool
}

func newSimulateCmd() *cobra.Command {
	var f simulateFlags
	c := &cobra.Command{
		Use:   "simulate [PATH...]",
		Short: "Simulate a rollout, scale-in or drain and count the requests it drops",
		Long: `Simulate plays a rolling update, a scale-in or a node drain of each workload
behind an AWS load balancer in virtual time: the Deployment controller, the
kubelet's probes and termination sequence, the app, the endpoint and AWS Load
Balancer Controller propagation, the load balancer's registration, health
checks and draining, and a stream of requests. It reports every failed
request by what the client saw (refused, reset, 502, 503, 504, timeout) and
why, with when; how long the event took; and the fewest healthy targets.

It reads the same inputs as check, and uses the same timing numbers: each
delay of the timing profile is the worst case of a random delay. With no
PATH it runs the built-in scenario, the write-up's echoserver (naive and
recommended, behind an ALB and behind an NLB).

--runs N repeats the run with N seeds (in parallel) for percentiles. A seed
makes the output reproducible byte for byte. --compare also simulates what
'zerodrop fix' would make of the input. --plan shows, for large Deployments,
the rollout duration and peak pod count for a range of maxSurge values.

Exit codes: 0 done, 1 requests dropped (only with --fail-on-drop), 2 usage
or input errors.`,
		Example: `  zerodrop simulate                                # the built-in scenario
  zerodrop simulate examples/seed/naive --compare   # today vs. after zerodrop fix
  zerodrop simulate deploy/ --event drain --runs 200 -o json
  zerodrop simulate deploy/ --replicas 1000 --rps 10000 --plan
  zerodrop simulate --runs 200 --report simulate.html`,
		RunE: func(c *cobra.Command, args []string) error { return runSimulate(c, &f, args) },
	}
	f.check.addManifestFlags(c, "text", "json")
	fl := c.Flags()
	fl.StringVar(&f.events, "event", "rollout", "what to simulate: rollout, scale-in, drain, a comma-separated list, or all")
	fl.Float64Var(&f.rps, "rps", sim.DefaultRPS, "requests per second through the load balancer")
	fl.IntVar(&f.replicas, "replicas", 0, "simulate with this many replicas instead of the workload's (its autoscaler's minReplicas when one targets it, else spec.replicas)")
	fl.IntVar(&f.runs, "runs", 1, "Monte Carlo runs per result (percentiles when more than 1)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed; the same seed gives the same output")
	fl.IntVar(&f.workers, "workers", 0, "runs in parallel (default: the number of CPUs Go may use)")
	fl.StringVar(&f.report, "report", "", "also write an HTML report with SVG charts to this file")
	fl.BoolVar(&f.compare, "compare", false, "also simulate the manifests as 'zerodrop fix' would leave them (variant fixed)")
	fl.BoolVar(&f.plan, "plan", false, "instead of the event, tabulate rollout duration and peak pods for a range of maxSurge values")
	fl.StringVar(&f.planSurges, "plan-surge", strings.Join(sim.DefaultPlanSurges, ","), "maxSurge values for --plan")
	fl.IntVar(&f.scaleTo, "scale-to", -1, "replicas after a scale-in (default: half, and never below 1; 0 only when given)")
	fl.IntVar(&f.nodes, "nodes", 0, "nodes the pods are spread over (default: 3, or one per 20 replicas; one per replica behind externalTrafficPolicy: Local)")
	fl.IntVar(&f.drainNodes, "drain-nodes", -1, "nodes a drain empties at once (default: all of them)")
	// -1 stands for the computed default, which the usage describes; keep
	// pflag from printing "(default -1)" after it as a second default.
	for _, n := range []string{"scale-to", "drain-nodes"} {
		fl.Lookup(n).DefValue = "0"
	}
	fl.StringVar(&f.app, "app", "", "what the app does on SIGTERM, overriding what check assumes (zerodrop.dev/shutdown, the shell-wrapper inference, the profile): drain, exit or ignore")
	fl.Float64Var(&f.durationMs, "duration-ms", sim.DefaultDurationMedian*1000, "median request duration in milliseconds (log-normal, capped at the profile's longest request)")
	fl.Float64Var(&f.keepAlive, "keepalive", sim.DefaultKeepAlive, "share of requests sent on a reused connection")
	fl.Float64Var(&f.idleRace, "idle-race", 0, "chance that a request on a reused connection meets the app closing it as idle (an app idle timeout shorter than the load balancer's)")
	fl.Float64Var(&f.lbConns, "lb-connections", 0, "kept-alive connections the load balancer holds to the targets at once (behind instance targets kube-proxy pins each to one pod, and a stopping pod's are reopened through its rules); 0: the requests in flight")
	fl.BoolVar(&f.failOnDrop, "fail-on-drop", false, "exit 1 if a simulated current or fixed configuration drops a request")
	return c
}

func runSimulate(c *cobra.Command, f *simulateFlags, args []string) error {
	if f.check.output != "text" && f.check.output != "json" {
		return usageError("--output %q: want text or json", f.check.output)
	}
	events, err := parseEvents(f.events)
	if err != nil {
		return usageError("--event: %v", err)
	}
	switch {
	case f.runs < 1 || f.runs > 100000:
		return usageError("--runs %d: want 1 to 100000", f.runs)
	case f.rps < 0 || f.rps > 1e6 || math.IsNaN(f.rps):
		return usageError("--rps %v: want 0 to 1000000", f.rps)
	case f.replicas < 0 || f.replicas > 100000:
		return usageError("--replicas %d: want 1 to 100000", f.replicas)
	case f.durationMs <= 0:
		return usageError("--duration-ms must be positive")
	case f.keepAlive < 0 || f.keepAlive > 1 || f.idleRace < 0 || f.idleRace > 1:
		return usageError("--keepalive and --idle-race are shares between 0 and 1")
	case !(f.lbConns >= 0 && f.lbConns <= 1e6):
		return usageError("--lb-connections %v: want 0 to 1000000", f.lbConns)
	}
	if f.app != "" && f.app != "drain" && f.app != "exit" && f.app != "ignore" {
		return usageError("--app %q: want drain, exit or ignore", f.app)
	}
	var surges []intstr.IntOrString
	if f.plan {
		if surges, err = sim.ParseSurges(f.planSurges); err != nil {
			return usageError("--plan-surge: %v", err)
		}
	}
	builtIn := len(args) == 0 && len(f.check.in.files) == 0 && len(f.check.in.kustomize) == 0
	if builtIn && f.compare {
		return usageError("--compare needs manifests; the built-in scenario already compares naive and recommended")
	}
	copts, err := buildOptions(c, &f.check, args)
	if err != nil {
		return err
	}
	if copts.KubeVersion.Major == 0 {
		copts.KubeVersion = kubeversion.Default
	}
	var an *sim.Analysis
	if builtIn {
		an = sim.AnalyzeBuiltIn(copts)
	} else if an, err = sim.AnalyzeInputs(c.Context(), copts, f.compare); err != nil {
		return &exitError{code: ExitInput, err: err}
	}

	opts := sim.Options{Events: events, Seed: f.seed, Runs: f.runs, Workers: f.workers, PlanSurges: surges,
		RPS: f.rps, Replicas: f.replicas, Nodes: f.nodes, DrainNodes: &f.drainNodes, ScaleTo: &f.scaleTo,
		App: sim.AppBehaviour(f.app), KeepAlive: f.keepAlive, IdleRace: f.idleRace,
		LBConnections: f.lbConns}
	if c.Flags().Changed("duration-ms") {
		opts.DurationMedian = f.durationMs / 1000
	}
	bars := &stages{w: c.ErrOrStderr(), show: isTerminal(c.ErrOrStderr())}
	opts.Progress = func(done, total int) { bars.Report("simulating", done, total) }
	rep, err := sim.Play(c.Context(), an, opts)
	bars.Done()
	var de *sim.DurationError
	if errors.As(err, &de) {
		return usageError("--duration-ms %g: the median request duration is above the longest request of %s, %gs (declare a longer one with zerodrop.dev/longest-request or --longest-request)", f.durationMs, de.Workload, de.Max)
	} else if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	inputErrs := an.InputErrors
	if len(rep.Results) == 0 && len(rep.Plans) == 0 && len(inputErrs) == 0 {
		fmt.Fprintln(c.ErrOrStderr(), "zerodrop: no workload behind an AWS load balancer found in the input; nothing to simulate")
	}

	out := c.OutOrStdout()
	if f.check.output == "json" {
		err = simreport.JSON(out, rep)
	} else {
		err = simreport.Text(out, rep)
	}
	if err != nil {
		return &exitError{code: ExitInput, err: fmt.Errorf("writing output: %w", err)}
	}
	if f.report != "" {
		var buf bytes.Buffer
		if err := simreport.HTML(&buf, rep); err != nil {
			return &exitError{code: ExitInput, err: err}
		}
		if err := os.WriteFile(f.report, buf.Bytes(), 0o644); err != nil {
			return &exitError{code: ExitInput, err: fmt.Errorf("writing --report: %w", err)}
		}
	}
	for _, e := range inputErrs {
		fmt.Fprintf(c.ErrOrStderr(), "zerodrop: %s\n", e.Error())
	}
	if len(inputErrs) > 0 {
		return &exitError{code: ExitInput}
	}
	if f.failOnDrop {
		for _, r := range rep.Results {
			if (r.Variant == "current" || r.Variant == "fixed") && r.Requests.Failed > 0 {
				return &exitError{code: ExitFindings}
			}
		}
	}
	return nil
}

func parseEvents(s string) ([]sim.Event, error) {
	if s == "all" {
		return sim.Events(), nil
	}
	var out []sim.Event
	seen := map[sim.Event]bool{}
	for _, part := range strings.Split(s, ",") {
		e, err := sim.ParseEvent(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out, nil
}
