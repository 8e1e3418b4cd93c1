package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zerodrop/zerodrop/internal/lab"
	"github.com/zerodrop/zerodrop/pkg/sim"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// The lab's fixed names: every configuration runs Deployment echoserver in
// namespace echoserver.
const (
	namespace  = "echoserver"
	deployment = "echoserver"
)

type matrixFlags struct {
	kubeconfig, bin, kubectl, manifests, profile, out, haproxy, state, listen, logs string
	configs, events                                                                 string
	rps                                                                             float64
	runs                                                                            int
	warmup, settle                                                                  time.Duration
	seed                                                                            uint64
}

// Result is one run of the matrix: what verify measured and what simulate
// predicted for the same configuration, event and traffic.
type Result struct {
	Config   string `json:"config"`
	Event    string `json:"event"`
	Exposure string `json:"exposure"`
	// RPS is the requests per second verify sent.
	RPS      float64          `json:"rps,omitempty"`
	Requests int64            `json:"requests"`
	Failed   int64            `json:"failed"`
	Errors   map[string]int64 `json:"errors"`
	// SettledS is how long the event took, from its start to settled.
	SettledS float64 `json:"settledS"`
	// Sim holds simulate's failed-request percentiles over its runs.
	Sim       Band    `json:"simulate"`
	SimSettle float64 `json:"simulateSettledP50"`
	Inside    bool    `json:"insideBand"`
	// KeepAlive is the share of requests the load balancer sent on a
	// reused connection (measured; simulate is given the same).
	KeepAlive float64 `json:"keepAlive"`
	// Conns is the mean number of connections the load balancer held to
	// its targets over the warm-up, before the event (measured; simulate
	// is given the same).
	Conns float64 `json:"lbConnections"`
	// StopBurst is how many more requests were in flight at once in the
	// stopWindow after the first pod began terminating than at any moment
	// before: the client connections opened at the stop (measured from
	// verify's JSON lines; not given to simulate, see stopBurst).
	StopBurst float64 `json:"stopBurst,omitempty"`
	// DurationMedianS and DurationSigma are the requests' durations
	// before the event, as simulate's log-normal takes them (measured
	// from verify's JSON lines; simulate is given the same, see
	// requestDurations).
	DurationMedianS float64 `json:"durationMedianS,omitempty"`
	DurationSigma   float64 `json:"durationSigma,omitempty"`
	Files           string  `json:"files"`
	Error           string  `json:"error,omitempty"`
}

// Band is a spread of simulated failures.
type Band struct {
	Runs int     `json:"runs"`
	P5   float64 `json:"p5"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
}

func runMatrix(ctx context.Context, args []string) error {
	var f matrixFlags
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	fs.StringVar(&f.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the lab")
	fs.StringVar(&f.bin, "bin", "", "directory with the zerodrop binary")
	fs.StringVar(&f.kubectl, "kubectl", "kubectl", "kubectl binary")
	fs.StringVar(&f.manifests, "manifests", "tools/lab/manifests", "directory of configurations (one directory each) and profile.yaml")
	fs.StringVar(&f.profile, "profile", "", "timing profile (default: MANIFESTS/profile.yaml)")
	fs.StringVar(&f.out, "out", "lab-results", "directory for verify's JSON lines, reports and the summary")
	fs.StringVar(&f.haproxy, "haproxy", "/usr/sbin/haproxy", "HAProxy binary")
	fs.StringVar(&f.state, "state", defaultState(), "directory for HAProxy's files")
	fs.StringVar(&f.listen, "listen", "10.201.1.1:18080", "address of the emulated load balancer")
	fs.StringVar(&f.configs, "configs", "alb-naive,alb-recommended,nlb-naive,nlb-recommended", "configurations to run")
	fs.StringVar(&f.events, "events", "rollout,scale-in,drain", "events to run")
	fs.Float64Var(&f.rps, "rps", 100, "requests per second")
	fs.IntVar(&f.runs, "runs", 200, "simulate's Monte Carlo runs per result")
	fs.DurationVar(&f.warmup, "warmup", 3*time.Second, "traffic before the event")
	fs.DurationVar(&f.settle, "settle", 5*time.Second, "traffic after the event settled")
	fs.Uint64Var(&f.seed, "seed", uint64(time.Now().UnixNano()), "seed of the emulator's delays")
	fs.StringVar(&f.logs, "logs", "", "the lab's log directory, for each run's kube-proxy syncs and container stops (default: logs/ beside the kubeconfig)")
	fs.Parse(args)
	if f.logs == "" && f.kubeconfig != "" {
		f.logs = filepath.Join(filepath.Dir(f.kubeconfig), "logs")
	}
	if f.profile == "" {
		f.profile = filepath.Join(f.manifests, "profile.yaml")
	}
	c, err := client(f.kubeconfig)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	var results []Result
	start := time.Now()
	for _, cfg := range strings.Split(f.configs, ",") {
		for _, ev := range strings.Split(f.events, ",") {
			if ctx.Err() != nil {
				break
			}
			log.Printf("=== %s %s", cfg, ev)
			r := f.one(ctx, c, cfg, ev)
			if r.Error != "" {
				log.Printf("    error: %s", r.Error)
			} else {
				log.Printf("    measured %d failed of %d; simulate p5–p95 %.0f–%.0f (p50 %.0f); inside: %v",
					r.Failed, r.Requests, r.Sim.P5, r.Sim.P95, r.Sim.P50, r.Inside)
			}
			results = append(results, r)
		}
	}
	if err := writeSummary(f.out, results, time.Since(start)); err != nil {
		return err
	}
	for _, r := range results {
		if r.Error != "" {
			return exitCode(1)
		}
	}
	return nil
}

func writeSummary(out string, results []Result, took time.Duration) error {
	data, _ := json.MarshalIndent(results, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "summary.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "config\tevent\tmeasured failed\tof\tby class\tsimulate p5\tp50\tp95\tinside\tsettled s (sim p50)\tkeep-alive\tlb conns")
	for _, r := range results {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\terror: %s\n", r.Config, r.Event, r.Error)
			continue
		}
		var classes []string
		for k, v := range r.Errors {
			classes = append(classes, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(classes)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%.0f\t%.0f\t%.0f\t%v\t%.1f (%.1f)\t%.3f\t%.1f\n", r.Config, r.Event, r.Failed, r.Requests,
			strings.Join(classes, ", "), r.Sim.P5, r.Sim.P50, r.Sim.P95, r.Inside, r.SettledS, r.SimSettle, r.KeepAlive, r.Conns)
	}
	tw.Flush()
	fmt.Fprintf(&b, "matrix took %s\n", took.Round(time.Second))
	os.Stdout.Write(b.Bytes())
	return os.WriteFile(filepath.Join(out, "summary.txt"), b.Bytes(), 0o644)
}

// one runs one configuration through one event.
func (f *matrixFlags) one(ctx context.Context, c kubernetes.Interface, cfg, ev string) (r Result) {
	r = Result{Config: cfg, Event: ev, Errors: map[string]int64{}}
	fail := func(err error) Result { r.Error = err.Error(); return r }
	dir := filepath.Join(f.manifests, cfg)
	sc, err := lab.FromManifests(ctx, dir, f.profile)
	if err != nil {
		return fail(err)
	}
	r.Exposure = sc.Case.Exposure
	url := "http://" + f.listen + "/"
	if err := lab.CheckURL(url); err != nil {
		return fail(err)
	}
	if err := f.reset(ctx, c); err != nil {
		return fail(err)
	}
	if out, err := exec.CommandContext(ctx, f.kubectl, "--kubeconfig", f.kubeconfig, "apply", "-f", dir).CombinedOutput(); err != nil {
		return fail(fmt.Errorf("kubectl apply -f %s: %v\n%s", dir, err, out))
	}
	name := cfg + "-" + ev
	lbLog, err := os.Create(filepath.Join(f.out, name+".lb.log"))
	if err != nil {
		return fail(err)
	}
	defer lbLog.Close()
	lctx, stopLB := context.WithCancel(ctx)
	em, err := lab.NewEmulator(lctx, sc.TargetGroup, c, f.haproxy, f.state, f.listen, f.seed, log.New(lbLog, "", 0).Printf)
	if err != nil {
		stopLB()
		return fail(err)
	}
	fmt.Fprintf(lbLog, "emulating %s on %s, seed %d: %+v\n", sc.Case.Exposure, f.listen, f.seed, sc.TargetGroup)
	lbDone := make(chan error, 1)
	go func() { lbDone <- em.Run() }()
	defer func() {
		stopLB()
		<-lbDone
		// HAProxy's own log: one line per request with the server it went
		// to and its termination state.
		if data, err := os.ReadFile(filepath.Join(f.state, "haproxy.log")); err == nil {
			os.WriteFile(filepath.Join(f.out, name+".haproxy.log"), data, 0o644)
		}
	}()
	replicas := sc.Case.Params.Replicas
	if err := waitAvailable(ctx, c, int32(replicas), 2*time.Minute); err != nil {
		return fail(err)
	}
	want := replicas
	if !sc.TargetGroup.IP {
		nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return fail(err)
		}
		want = len(nodes.Items)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	err = em.WaitHealthy(wctx, want)
	cancel()
	if err != nil {
		return fail(err)
	}
	// Instance targets start healthy (the nodes were long registered), but
	// kube-proxy may not have programmed the new Service's node port yet:
	// wait until fresh connections through the load balancer succeed, so
	// that what verify measures is the event, not the lab's start.
	if err := settled(ctx, url, 20, time.Minute); err != nil {
		return fail(err)
	}
	stat0, err := em.ServerStats()
	if err != nil {
		return fail(err)
	}

	// Measure.
	p, err := labParams(sc.Case.Params, ev, f.rps, f.warmup, f.settle)
	if err != nil {
		return fail(err)
	}
	r.RPS = f.rps
	args := []string{"verify", "--url", url, "--rps", strconv.FormatFloat(f.rps, 'f', -1, 64),
		"--rollout", "deployment/" + deployment, "-n", namespace, "--kubeconfig", f.kubeconfig,
		"--warmup", f.warmup.String(), "--settle", f.settle.String(), "--duration", "6m", "--timeout", "10s",
		"--out", filepath.Join(f.out, name+".jsonl"), "--report", filepath.Join(f.out, name+".html"),
		"-o", "json", "--max-errors", "100000000"}
	switch p.Event {
	case sim.ScaleIn:
		args = append(args, "--scale-to", strconv.Itoa(p.ScaleTo))
	case sim.Drain:
		args = append(args, "--drain", "auto")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(f.bin, "zerodrop"), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The connections the load balancer holds to its targets, sampled
	// while verify runs (and written to CONFIG-EVENT.conns.tsv with
	// HAProxy's connect and reuse counters): their mean over the warm-up,
	// before the event, is what simulate is given. (After a pod stops the
	// load balancer opens a burst of new connections and keeps them.)
	stop, sampled := make(chan struct{}), make(chan float64)
	series, _ := os.Create(filepath.Join(f.out, name+".conns.tsv"))
	begun := time.Now()
	go func() {
		var sum, n float64
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		if series != nil {
			defer series.Close()
			fmt.Fprintln(series, "time\tconnects\treuses\tconns\tused\tsessions")
		}
		for {
			select {
			case <-stop:
				if n > 0 {
					sum /= n
				}
				sampled <- sum
				return
			case <-tick.C:
				if st, err := em.ServerStats(); err == nil {
					if time.Since(begun) < f.warmup && st.Conns > 0 {
						sum += float64(st.Conns)
						n++
					}
					if series != nil {
						fmt.Fprintf(series, "%s\t%d\t%d\t%d\t%d\t%d\n", time.Now().UTC().Format("15:04:05.000"), st.Connects, st.Reuses, st.Conns, st.Used, st.Sessions)
					}
				}
			}
		}
	}()
	err = cmd.Run()
	close(stop)
	pool := <-sampled
	// kube-proxy's syncs and the kubelet's container stops while verify
	// ran, from the lab's logs.
	if logs := f.logs; logs != "" {
		if lines, lerr := nodeEvents(logs, begun.Add(-time.Second), time.Now()); lerr == nil && len(lines) > 0 {
			os.WriteFile(filepath.Join(f.out, name+".nodes.log"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		}
	}
	if err != nil {
		return fail(fmt.Errorf("zerodrop %s: %v\n%s", strings.Join(args, " "), err, stderr.String()))
	}
	os.WriteFile(filepath.Join(f.out, name+".json"), stdout.Bytes(), 0o644)
	var rep struct {
		Requests struct {
			Total, Failed int64
		} `json:"requests"`
		Errors  map[string]int64 `json:"errors"`
		Rollout *struct {
			StartS   *float64 `json:"startS"`
			SettledS *float64 `json:"settledS"`
		} `json:"rollout"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return fail(fmt.Errorf("verify's report: %w", err))
	}
	r.Requests, r.Failed, r.Errors = rep.Requests.Total, rep.Requests.Failed, rep.Errors
	if ro := rep.Rollout; ro != nil && ro.StartS != nil && ro.SettledS != nil {
		r.SettledS = *ro.SettledS - *ro.StartS
	}
	r.Files = filepath.Join(f.out, name+".{jsonl,html,json,lb.log,haproxy.log}")

	// The traffic's keep-alive share between the load balancer and its
	// targets: the requests that did not need a connection of their own,
	// from the connections HAProxy opened to targets (in TCP mode one per
	// client connection, which carries all of that client's requests).
	if stat1, err := em.ServerStats(); err == nil && r.Requests > 0 {
		conns := stat1.Connects - stat0.Connects
		p.KeepAlive = min(max(1-float64(conns)/float64(r.Requests), 0), 1)
	}
	r.KeepAlive = p.KeepAlive
	if pool > 0 {
		p.Conns = pool
	}
	r.Conns = p.Conns
	if n, err := stopBurst(filepath.Join(f.out, name+".jsonl"), stopWindow); err == nil {
		r.StopBurst = n
	}
	if med, sig, err := withDurations(&p, filepath.Join(f.out, name+".jsonl")); err == nil {
		r.DurationMedianS, r.DurationSigma = med, sig
	}

	// Predict.
	band, settle, err := predict(p, f.runs)
	if err != nil {
		return fail(err)
	}
	r.Sim, r.SimSettle = band, settle
	r.Inside = float64(r.Failed) >= band.P5 && float64(r.Failed) <= band.P95
	return r
}

// labParams is what simulate is given for a run of the lab: the scenario
// read from the manifests with the lab's nodes and traffic and the event.
func labParams(p sim.Params, ev string, rps float64, warmup, settle time.Duration) (sim.Params, error) {
	p.RPS = rps
	p.Nodes, p.DrainNodes = 2, 1
	// The lab's nodes share the machine's network namespace, so one
	// kube-proxy programs both node ports.
	p.KubeProxies = 1
	p.ScaleTo = p.Replicas / 2
	p.Lead, p.Tail = warmup.Seconds(), settle.Seconds()
	// Until the run's own are measured (requestDurations).
	p.DurationMedian = 0.002
	switch ev {
	case "rollout":
		p.Event = sim.Rollout
	case "scale-in":
		p.Event = sim.ScaleIn
	case "drain":
		p.Event = sim.Drain
	default:
		return p, fmt.Errorf("event %q: want rollout, scale-in or drain", ev)
	}
	return p, nil
}

// predict runs the simulator n times on p, as `zerodrop simulate --runs n`
// does, and returns the 5th, 50th and 95th percentiles of failed requests
// and the median event duration.
func predict(p sim.Params, n int) (Band, float64, error) {
	if err := p.Validate(); err != nil {
		return Band{}, 0, err
	}
	var failed, dur []float64
	for i := range n {
		run, err := sim.Simulate(p, sim.RunSeed(1, i))
		if err != nil {
			return Band{}, 0, err
		}
		failed = append(failed, float64(run.Failed()))
		dur = append(dur, run.Duration())
	}
	sort.Float64s(failed)
	sort.Float64s(dur)
	q := func(v []float64, x float64) float64 { return v[int(x*float64(len(v)-1)+0.5)] }
	b := Band{Runs: n, P5: q(failed, 0.05), P50: q(failed, 0.5), P95: q(failed, 0.95)}
	return b, q(dur, 0.5), nil
}

// reset deletes the namespace of the previous run, uncordons every node and
// flushes the lab's connection tracking, so runs do not leak into each
// other (stale conntrack entries keep new connections on dead pods).
func (f *matrixFlags) reset(ctx context.Context, c kubernetes.Interface) error {
	err := c.CoreV1().Namespaces().Delete(ctx, namespace, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := c.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %s still there after 2 minutes", namespace)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable {
			if _, err := c.CoreV1().Nodes().Patch(ctx, n.Name, types.StrategicMergePatchType,
				[]byte(`{"spec":{"unschedulable":false}}`), metav1.PatchOptions{}); err != nil {
				return err
			}
		}
	}
	for _, dir := range []string{"-d", "-s"} {
		cmd := exec.CommandContext(ctx, "conntrack", "-D", dir, "10.201.0.0/16")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		cmd.Run() // exits 1 when there was nothing to delete
	}
	return nil
}

func waitAvailable(ctx context.Context, c kubernetes.Interface, replicas int32, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		d, err := c.AppsV1().Deployments(namespace).Get(ctx, deployment, metav1.GetOptions{})
		if err == nil && d.Status.ObservedGeneration >= d.Generation && d.Status.AvailableReplicas == replicas &&
			d.Status.UpdatedReplicas == replicas && d.Status.Replicas == replicas {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("not available")
			}
			return fmt.Errorf("deployment/%s after %s: %w", deployment, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// settled waits until n requests in a row, each on a new connection,
// succeed through the load balancer at url.
func settled(ctx context.Context, url string, n int, limit time.Duration) error {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(limit)
	ok := 0
	var last error
	for ok < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not %d good requests in a row after %s (last: %v)", url, n, limit, last)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		if err != nil {
			ok, last = 0, err
		} else {
			ok++
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
