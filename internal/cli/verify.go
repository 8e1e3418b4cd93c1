package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/zerodrop/zerodrop/pkg/loadgen"
	"github.com/zerodrop/zerodrop/pkg/verify"
	"github.com/zerodrop/zerodrop/pkg/verify/rollout"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

type verifyFlags struct {
	url         string
	rps         float64
	duration    time.Duration
	concurrency int
	keepAlive   bool
	method      string
	headers     []string
	body        string
	insecure    bool
	timeout     time.Duration

	out        string
	output     string
	reportHTML string
	maxErrors  int

	rollout    string
	namespace  string
	kubeconfig string
	context    string
	warmup     time.Duration
	settle     time.Duration
	scaleTo    int
	scale      bool // --scale-to was given
	drain      string

	// progress forces the progress bar on (true) or off (false); nil means
	// "when stderr is a terminal".
	progress *bool
}

// newKubeClient builds a client the way kubectl does: --kubeconfig, else
// $KUBECONFIG, else ~/.kube/config, else in-cluster; --context and -n on top.
// Tests replace it.
var newKubeClient = func(kubeconfig, kubeContext, namespace string) (kubernetes.Interface, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	overrides.Context.Namespace = namespace
	cfg := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	ns, _, err := cfg.Namespace()
	if err != nil {
		return nil, "", err
	}
	rc, err := cfg.ClientConfig()
	if err != nil {
		return nil, "", err
	}
	rc.UserAgent = "zerodrop/" + Version()
	client, err := kubernetes.NewForConfig(rc)
	return client, ns, err
}

func newVerifyCmd() *cobra.Command {
	f := verifyFlags{}
	c := &cobra.Command{
		Use:   "verify --url URL [flags]",
		Short: "Send steady traffic through the load balancer, optionally during a rollout, and count every failed request",
		Long: `Verify sends requests to URL at a constant rate and records every one: when
it was due, how late it went out, its latency, its status, and for failures
the class: refused, reset, timeout, tls, dns, unreachable, other, or http_NNN
for 5xx responses. Scheduling is open-loop: a slow backend does not slow the
traffic down, and latency counts from when a request was due.

With --rollout deployment/NAME, verify restarts the Deployment as
'kubectl rollout restart' does, after --warmup of traffic, and puts the
rollout on the same timeline: the Deployment's progress, each pod created,
Ready, terminating and deleted, and each endpoint of the Services in front of
the pods. It stops --settle after the rollout has finished and the last old
pod is gone. Without --rollout it only measures, for --duration.

Instead of the restart, --scale-to N scales the Deployment in to N replicas
(as 'kubectl scale' does), and --drain NODE drains a node it runs on (as
'kubectl drain' does: cordon, then evict every pod there through the eviction
API, so PodDisruptionBudgets hold; refused evictions are retried every 5 s).
--drain auto picks the node with most of the Deployment's pods. The node stays
cordoned afterwards ('kubectl uncordon NODE').

The report lists requests, errors by class, the stretches of time with
errors, latency percentiles and the rollout's events (-o text or json);
--report writes an HTML page with the timeline; --out keeps every request as
JSON lines, from which 'zerodrop verify report' makes the report again.
Ctrl-C stops the traffic, waits for the requests in flight and still writes
everything.

Exit codes: 0 at most --max-errors failed requests, 1 more than that, 2 bad
flags, or the rollout could not be started or did not finish.`,
		Example: `  zerodrop verify --url https://shop.example.com/healthz --rps 100 --duration 2m
  zerodrop verify --url https://shop.example.com/ --rollout deployment/shop -n shop \
      --out run.jsonl --report run.html
  zerodrop verify --url https://shop.example.com/ --rollout deployment/shop -n shop --drain auto
  zerodrop verify report run.jsonl -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			f.scale = c.Flags().Changed("scale-to")
			return f.run(ctx, c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.url, "url", "", "the URL to send requests to (required)")
	fl.Float64Var(&f.rps, "rps", 50, "requests per second")
	fl.DurationVar(&f.duration, "duration", 0, "how long to send traffic (default 30s; with --rollout, the longest the whole run may take, default 15m)")
	fl.IntVar(&f.concurrency, "concurrency", loadgen.DefaultMaxConcurrency, "most requests in flight (and connections); past it requests go out late, and the lateness counts in their latency")
	fl.BoolVar(&f.keepAlive, "keepalive", true, "reuse connections; --keepalive=false opens one per request")
	fl.StringVarP(&f.method, "method", "X", "GET", "HTTP method")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, `request header "Name: value"; repeatable ("Host: x" sets the host)`)
	fl.StringVar(&f.body, "body", "", "request body, or @FILE to read it from a file")
	fl.BoolVar(&f.insecure, "insecure", false, "accept any TLS certificate (self-signed, wrong host)")
	fl.DurationVar(&f.timeout, "timeout", loadgen.DefaultTimeout, "time limit of one request, from sending to the end of the response body")
	fl.StringVar(&f.out, "out", "", "write every request and event to this file as JSON lines")
	fl.StringVarP(&f.output, "output", "o", "text", "report format on stdout: text or json")
	fl.StringVar(&f.reportHTML, "report", "", "also write the report as a self-contained HTML page with the timeline chart")
	fl.IntVar(&f.maxErrors, "max-errors", 0, "failed requests allowed before the exit code is 1")
	fl.StringVar(&f.rollout, "rollout", "", "restart this workload (deployment/NAME) during the traffic and watch it")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace of the --rollout workload (default: the kubeconfig context's)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context to use")
	fl.DurationVar(&f.warmup, "warmup", 5*time.Second, "with --rollout: traffic before the restart")
	fl.DurationVar(&f.settle, "settle", 30*time.Second, "with --rollout: traffic after the rollout has finished and the last old pod is gone")
	fl.IntVar(&f.scaleTo, "scale-to", 0, "with --rollout: scale the Deployment in to this many replicas instead of restarting it")
	fl.StringVar(&f.drain, "drain", "", "with --rollout: drain this node (or \"auto\": the one with most of the Deployment's pods) instead of restarting")
	c.AddCommand(newVerifyReportCmd())
	return c
}

func newVerifyReportCmd() *cobra.Command {
	var output, reportHTML string
	var maxErrors int
	c := &cobra.Command{
		Use:   "report FILE",
		Short: "Make the report of a verify run again from its --out file",
		Long: `Report reads the JSON lines a 'zerodrop verify --out FILE' run wrote and
prints the same report the run printed (-o text or json), optionally with the
HTML page. A file cut short by a killed run is read up to its last complete
line and reported as interrupted. --max-errors defaults to the run's own.`,
		Example: `  zerodrop verify report run.jsonl
  zerodrop verify report run.jsonl -o json | jq .windows
  zerodrop verify report run.jsonl --report run.html`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return usageError("--output %q: want text or json", output)
			}
			fh, err := os.Open(args[0])
			if err != nil {
				return usageError("%v", err)
			}
			defer fh.Close()
			run, err := verify.Read(fh)
			if err != nil {
				return usageError("%s: %v", args[0], err)
			}
			if c.Flags().Changed("max-errors") {
				run.Meta.MaxErrors = maxErrors
			}
			return writeReports(run, output, reportHTML, c.OutOrStdout())
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "report format: text or json")
	c.Flags().StringVar(&reportHTML, "report", "", "also write the report as a self-contained HTML page")
	c.Flags().IntVar(&maxErrors, "max-errors", 0, "failed requests allowed before the exit code is 1 (default: the run's)")
	return c
}

// writeReports prints the report and writes the HTML page; it returns the
// exit error for too many failures.
func writeReports(run *verify.Run, output, htmlPath string, stdout io.Writer) error {
	rep := verify.Build(run)
	var err error
	if output == "json" {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return &exitError{code: ExitInput, err: fmt.Errorf("writing the report: %w", err)}
	}
	if htmlPath != "" {
		if err := writeFileAtomic(htmlPath, func(w io.Writer) error { return verify.WriteHTML(w, rep, run) }); err != nil {
			return &exitError{code: ExitInput, err: fmt.Errorf("writing %s: %w", htmlPath, err)}
		}
	}
	if !rep.Passed {
		return &exitError{code: ExitFindings}
	}
	return nil
}

func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(dirOf(path), ".zerodrop-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return "."
}

// config checks the flags and turns them into the engine's config.
func (f *verifyFlags) config() (loadgen.Config, error) {
	cfg := loadgen.Config{Method: strings.ToUpper(f.method), Rate: f.rps, MaxConcurrency: f.concurrency,
		Timeout: f.timeout, DisableKeepAlives: !f.keepAlive, Insecure: f.insecure}
	if f.url == "" {
		return cfg, usageError("--url is required")
	}
	u, err := url.Parse(f.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, usageError("--url %q: want an http:// or https:// URL", f.url)
	}
	cfg.URL = f.url
	switch {
	case f.rps <= 0:
		return cfg, usageError("--rps must be positive")
	case f.concurrency <= 0:
		return cfg, usageError("--concurrency must be positive")
	case f.timeout <= 0:
		return cfg, usageError("--timeout must be positive")
	case f.duration < 0 || f.warmup < 0 || f.settle < 0:
		return cfg, usageError("--duration, --warmup and --settle cannot be negative")
	case f.maxErrors < 0:
		return cfg, usageError("--max-errors cannot be negative")
	case (f.scale || f.drain != "") && f.rollout == "":
		return cfg, usageError("--scale-to and --drain need --rollout deployment/NAME")
	case f.scale && f.scaleTo < 0:
		return cfg, usageError("--scale-to cannot be negative")
	case f.scale && f.drain != "":
		return cfg, usageError("--scale-to and --drain are two different events: give one")
	case f.output != "text" && f.output != "json":
		return cfg, usageError("--output %q: want text or json", f.output)
	}
	if f.rollout == "" {
		if f.duration == 0 {
			f.duration = 30 * time.Second
		}
		cfg.Duration = f.duration
		if cfg.Rate*cfg.Duration.Seconds() < 1 {
			return cfg, usageError("--rps × --duration is less than one request")
		}
	} else if f.duration == 0 {
		f.duration = 15 * time.Minute
	}
	cfg.Header = http.Header{}
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return cfg, usageError("-H %q: want \"Name: value\"", h)
		}
		cfg.Header.Add(name, strings.TrimSpace(value))
	}
	if file, ok := strings.CutPrefix(f.body, "@"); ok {
		b, err := os.ReadFile(file)
		if err != nil {
			return cfg, usageError("--body: %v", err)
		}
		cfg.Body = b
	} else if f.body != "" {
		cfg.Body = []byte(f.body)
	}
	return cfg, nil
}

func (f *verifyFlags) run(ctx context.Context, stdout, stderr io.Writer) error {
	cfg, err := f.config()
	if err != nil {
		return err
	}
	opts := verify.Options{Traffic: cfg, MaxErrors: f.maxErrors, Warmup: f.warmup, Settle: f.settle, Limit: f.duration}
	if f.rollout != "" {
		name, err := rollout.ParseWorkload(f.rollout)
		if err != nil {
			return usageError("--rollout %v", err)
		}
		client, ns, err := newKubeClient(f.kubeconfig, f.context, f.namespace)
		if err != nil {
			return usageError("kubeconfig: %v", err)
		}
		d := &rollout.Disruption{Client: client, Namespace: ns, Name: name, Drain: f.drain,
			Note: func(s string) { fmt.Fprintf(stderr, "zerodrop: note: %s\n", s) }}
		if f.scale {
			n := int32(f.scaleTo)
			d.ScaleTo = &n
		}
		opts.Disruption = d
	}
	var outFile *os.File
	if f.out != "" {
		opts.OpenRecords = func() (io.Writer, error) {
			var err error
			outFile, err = os.Create(f.out)
			return outFile, err
		}
	}
	bar := &requestBar{w: stderr}
	if cfg.Duration > 0 {
		bar.total = int64(cfg.Rate * cfg.Duration.Seconds())
	}
	if f.showProgress(stderr) {
		opts.Progress = bar.update
	}
	out, err := verify.Measure(ctx, opts)
	bar.finish()
	if outFile != nil {
		defer outFile.Close()
	}
	var se *verify.SetupError
	switch {
	case errors.As(err, &se) && se.Stage == verify.StageDisruption:
		return usageError("--rollout: %v", se.Err)
	case se != nil && se.Stage == verify.StageRecords:
		return usageError("--out: %v", se.Err)
	case err != nil && se == nil:
		return &exitError{code: ExitInput, err: fmt.Errorf("writing %s: %w", f.out, err)}
	}
	if outFile != nil {
		if err := outFile.Close(); err != nil {
			return &exitError{code: ExitInput, err: fmt.Errorf("writing %s: %w", f.out, err)}
		}
	}
	if se != nil {
		return usageError("%v", se.Err)
	}
	repErr := writeReports(out.Run, f.output, f.reportHTML, stdout)
	if out.DisruptionErr != nil {
		var ee *exitError
		if errors.As(repErr, &ee) && ee.code == ExitInput {
			return repErr
		}
		return &exitError{code: ExitInput, err: fmt.Errorf("rollout of %s: %w", f.rollout, out.DisruptionErr)}
	}
	return repErr
}

// showProgress says whether to draw the bar: as --progress says in tests,
// else when stderr is a terminal.
func (f *verifyFlags) showProgress(stderr io.Writer) bool {
	if f.progress != nil {
		return *f.progress
	}
	return isTerminal(stderr)
}

// requestBar draws verify's counts as a progress bar on w, made at the
// first report so that it comes after any note about the run.
type requestBar struct {
	w     io.Writer
	total int64 // -1 or 0: unknown (a rollout decides how long)
	bar   *progressbar.ProgressBar
}

func (b *requestBar) update(done, failed int) {
	if b.bar == nil {
		total := b.total
		if total <= 0 {
			total = -1
		}
		b.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription("requests"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		)
		return // the first report is the start: the bar shows blank
	}
	b.bar.Set64(int64(done))
	b.bar.Describe(fmt.Sprintf("ok %d, failed %d", done-failed, failed))
}

func (b *requestBar) finish() {
	if b.bar != nil {
		b.bar.Finish()
	}
}
