package cli

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/webhook"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

type webhookFlags struct {
	kube        *genericclioptions.ConfigFlags
	host        string
	port        int
	certDir     string
	httpAddr    string
	enforce     bool
	optIn       bool
	mutate      bool
	timeout     time.Duration
	maxInFlight int
	maxWarnings int
	warnOn      string
	profile     string
	kubeVersion string
	configPath  string
	only        string
	logLevel    string
}

func newWebhookCmd() *cobra.Command {
	f := webhookFlags{kube: genericclioptions.NewConfigFlags(false)}
	f.kube.Namespace = nil // the webhook watches every namespace
	c := &cobra.Command{
		Use:   "webhook",
		Short: "Serve the rules as a validating (and optionally mutating) admission webhook",
		Long: `Webhook serves zerodrop's rules to the API server as an admission webhook,
over TLS. Deployments, StatefulSets, DaemonSets, Services, Ingresses,
PodDisruptionBudgets, TargetGroupBindings, Namespaces and bare Pods are checked
as they are admitted, together with the objects related to them, read from the
webhook's informers (indexed by relation, so a review costs the same in a
namespace of ten applications or of thousands): the workloads an object runs
or exposes, the Services selecting them, the Ingresses and bindings routing to
those, their budgets, the IngressClasses and the Namespace. The findings on all
of these are reported, whichever part of a change is admitted first.

By default every object is allowed, and findings come back as admission
warnings, which kubectl prints ("Warning: ZD003 prestop: ..."). With --enforce,
objects with error findings are denied. A namespace label changes the mode
there: zerodrop.dev/webhook=off, =warn or =enforce; with --opt-in only labelled
namespaces are checked. The zerodrop.dev/ignore annotation is respected.

With --mutate, /mutate adds a preStop delay and a long enough grace period to
exposed workloads (the fixes of ZD003 and ZD004) and nothing else.

The webhook fails open: a check that takes longer than --timeout (it is then
stopped), one more than --max-in-flight at once (shed at once, not queued), a
panic, an unreadable object or cache all end in "allowed" with a warning; the
metric zerodrop_webhook_admissions_total counts them by result (timeout, shed,
...). Register it
with failurePolicy: Ignore (the Helm chart in deploy/helm/zerodrop does).

Memory: with ZERODROP_MEMORY_LIMIT set to the container's memory limit in bytes
(the Helm chart sets it through the downward API), the garbage collector
collects only when the heap nears a soft limit 144MiB below it (at least half
of it; GOMEMLIMIT, GOGC=off): collections are rarer, so fewer reviews wait
behind one. GOGC or GOMEMLIMIT set in the environment win.

Endpoints: /validate and /mutate on the TLS port; /metrics, /healthz and
/readyz on --http-addr. Ready once the caches are filled.`,
		Example: `  zerodrop webhook --cert-dir /certs                  # in a pod, in-cluster credentials
  zerodrop webhook --enforce --mutate --cert-dir /certs
  zerodrop webhook --kubeconfig ~/.kube/config --host 127.0.0.1 --cert-dir ./certs`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runWebhook(c, &f) },
	}
	f.kube.AddFlags(c.Flags())
	fl := c.Flags()
	fl.StringVar(&f.host, "host", "", "address the TLS server listens on (default all)")
	fl.IntVar(&f.port, "port", 9443, "TLS port of /validate and /mutate")
	fl.StringVar(&f.certDir, "cert-dir", "/tmp/k8s-webhook-server/serving-certs", "directory holding tls.crt and tls.key; reloaded when they change")
	fl.StringVar(&f.httpAddr, "http-addr", ":8080", `address of /metrics, /healthz and /readyz (plain HTTP); "0" turns it off`)
	fl.BoolVar(&f.enforce, "enforce", false, "deny objects with error findings (namespaces labelled zerodrop.dev/webhook=warn still only warn)")
	fl.BoolVar(&f.optIn, "opt-in", false, "check only namespaces labelled zerodrop.dev/webhook=warn or =enforce")
	fl.BoolVar(&f.mutate, "mutate", false, "serve /mutate: add preStop and grace period (ZD003, ZD004 fixes) to exposed workloads")
	fl.DurationVar(&f.timeout, "timeout", webhook.DefaultTimeout, "answer within this; a slower check allows the object with a warning (keep it below the configuration's timeoutSeconds)")
	fl.IntVar(&f.maxInFlight, "max-in-flight", 0, "reviews checked at once per handler; one more is allowed at once, unchecked, with a warning (default 16 per CPU)")
	fl.IntVar(&f.maxWarnings, "max-warnings", webhook.DefaultMaxWarnings, "warnings per admission; the rest are counted in one more line")
	fl.StringVar(&f.warnOn, "warn-on", "warning", "lowest severity returned as a warning: info, warning or error")
	addProfileFlag(fl, &f.profile)
	fl.StringVar(&f.kubeVersion, "kube-version", "", "override the server's version for version-dependent advice")
	addConfigFlag(fl, &f.configPath)
	addRulesFlag(fl, &f.only)
	fl.StringVar(&f.logLevel, "log-level", "info", "log level of the JSON log on stderr: debug, info, warn or error")
	return c
}

func runWebhook(c *cobra.Command, f *webhookFlags) error {
	o := webhook.ServerOptions{Host: f.host, Port: f.port, CertDir: f.certDir, HTTPAddr: f.httpAddr, Mutate: f.mutate}
	h := &o.Handler
	h.Enforce, h.OptIn, h.Timeout, h.MaxWarnings, h.MaxInFlight = f.enforce, f.optIn, f.timeout, f.maxWarnings, f.maxInFlight
	if f.maxInFlight < 0 {
		return usageError("--max-in-flight must not be negative")
	}
	if f.timeout <= 0 {
		return usageError("--timeout must be positive")
	}
	if f.port <= 0 || f.port > 65535 {
		return usageError("--port %d: want 1-65535", f.port)
	}
	var err error
	if h.WarnOn, err = finding.ParseSeverity(f.warnOn); err != nil || h.WarnOn == 0 {
		return usageError("--warn-on %q: want info, warning or error", f.warnOn)
	}
	if _, err := (ruleSettings{configPath: f.configPath, kubeVersion: f.kubeVersion, profile: f.profile, only: f.only}).apply(&h.Check); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usageError("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	o.Log = logr.FromSlogHandler(slog.NewJSONHandler(c.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	gc, tuned, err := webhook.TuneGC()
	if err != nil {
		return usageError("%v", err)
	}
	if tuned {
		o.Log.Info("garbage collector set from the memory limit", "settings", gc.String())
	}
	rest, err := f.kube.ToRESTConfig()
	if err != nil {
		return usageError("kubeconfig: %v", err)
	}
	ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o.Ready = func() {
		o.Log.Info("ready", "validate", webhook.ValidatePath, "mutate", f.mutate, "enforce", f.enforce)
	}
	if err := webhook.Run(ctx, rest, o); err != nil && !errors.Is(err, context.Canceled) {
		return &exitError{code: ExitFindings, err: err}
	}
	return nil
}
