package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/config"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/helmchart"
	"github.com/zerodrop/zerodrop/pkg/kubeversion"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/report"
	"github.com/zerodrop/zerodrop/pkg/rules"
	"github.com/zerodrop/zerodrop/pkg/timing"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/labels"
)

// inputFlags are the manifest-source flags shared by check, fix and simulate.
type inputFlags struct {
	files       []string
	recursive   bool
	kustomize   []string
	namespace   string
	maxDocBytes int
	selector    string
	// Helm chart inputs: a PATH that is a chart directory is rendered.
	values      []string
	set         []string
	releaseName string
}

func (f *inputFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.StringArrayVarP(&f.files, "filename", "f", nil, "file, directory or - (stdin) to read; repeatable (like kubectl -f)")
	fl.BoolVarP(&f.recursive, "recursive", "R", false, "walk directories recursively (always on when no path is given)")
	fl.StringArrayVarP(&f.kustomize, "kustomize", "k", nil, "build this kustomization directory in-process and read its output (fix: with -o patch or --dry-run, as a build cannot be edited in place); repeatable")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace for objects that have none, as kubectl apply would use (default \"default\")")
	fl.IntVar(&f.maxDocBytes, "max-document-size", load.DefaultMaxDocumentBytes, "refuse YAML/JSON documents larger than this many bytes")
	addSelectorFlag(c, &f.selector)
	fl.StringArrayVar(&f.values, "values", nil, "Helm chart inputs: values file, as helm template -f; repeatable, later ones win")
	fl.StringArrayVar(&f.set, "set", nil, "Helm chart inputs: set a value, as helm template --set (key=value,key2=value2); repeatable")
	fl.StringVar(&f.releaseName, "release-name", "", "Helm chart inputs: the release name (default \""+helmchart.DefaultReleaseName+"\")")
}

// addSelectorFlag adds -l/--selector, as kubectl has it.
func addSelectorFlag(c *cobra.Command, sel *string) {
	c.Flags().StringVarP(sel, "selector", "l", "", "only objects whose labels match this selector, as kubectl -l (e.g. app=web,tier!=cache, env in (prod,staging))")
}

// parseSelector parses -l with kubectl's label selector syntax.
func parseSelector(s string) (labels.Selector, error) {
	if s == "" {
		return nil, nil
	}
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, usageError("--selector %q: %v", s, err)
	}
	return sel, nil
}

// sources splits what to read into plain paths and Helm chart directories
// (a directory holding Chart.yaml, given by name: a chart met while walking
// a tree is read as files). It refuses chart flags without a chart.
func (f *inputFlags) sources(args []string) (paths, charts []string, recursive bool, err error) {
	all, recursive := f.paths(args)
	for _, p := range all {
		if p != "-" && helmchart.IsChart(p) {
			charts = append(charts, p)
		} else {
			paths = append(paths, p)
		}
	}
	if len(charts) == 0 && (len(f.values) > 0 || len(f.set) > 0 || f.releaseName != "") {
		return nil, nil, false, usageError("--values, --set and --release-name apply to Helm charts: pass a chart directory (one with Chart.yaml)")
	}
	return paths, charts, recursive, nil
}

// paths returns what to read: arguments and -f, or "." recursively.
func (f *inputFlags) paths(args []string) ([]string, bool) {
	paths := append(append([]string(nil), args...), f.files...)
	if len(paths) == 0 && len(f.kustomize) == 0 {
		return []string{"."}, true
	}
	return paths, f.recursive
}

// defaulted reports whether no source was named, so that the current
// directory is read.
func (f *inputFlags) defaulted(args []string) bool {
	return len(args) == 0 && len(f.files) == 0 && len(f.kustomize) == 0
}

type checkFlags struct {
	in          inputFlags
	output      string
	failOn      string
	profile     string
	kubeVersion string
	configPath  string
	only        string
	color       string
	verbose     bool
	app         appSettings
}

// appSettings are the flags that say what every app does on SIGTERM and how
// long its requests run, unless a workload's annotations say otherwise.
type appSettings struct {
	shutdown, longestRequest string
}

func (a *appSettings) add(fl *pflag.FlagSet) {
	fl.StringVar(&a.shutdown, "shutdown", "", "what apps do on SIGTERM unless a workload says (annotation "+timing.ShutdownAnnotation+"): drain (finish in-flight requests, the default) or exit (stop at once)")
	fl.StringVar(&a.longestRequest, "longest-request", "", "the longest request apps serve unless a workload says (annotation "+timing.LongestRequestAnnotation+"), e.g. 45s or 2m (default 30s)")
}

// apply sets the app defaults in opts' timing profile; flags win over the
// profile file.
func (a appSettings) apply(opts *check.Options) error {
	if a.shutdown == "" && a.longestRequest == "" {
		return nil
	}
	if opts.Timing == nil {
		opts.Timing = timing.Default()
	}
	if a.shutdown != "" {
		if err := opts.Timing.SetShutdown(a.shutdown, timing.FromFlag, "--shutdown "+a.shutdown); err != nil {
			return usageError("--shutdown: %v", err)
		}
	}
	if a.longestRequest != "" {
		secs, err := timing.ParseLongestRequest(a.longestRequest)
		if err != nil {
			return usageError("--longest-request: %v", err)
		}
		opts.Timing.SetLongestRequest(secs, timing.FromFlag, "--longest-request "+a.longestRequest)
	}
	return nil
}

func newCheckCmd() *cobra.Command {
	var f checkFlags
	c := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Find what will drop requests on the next rollout, scale-in or drain",
		Long: `Check reads Kubernetes manifests (YAML or JSON, multi-document streams,
kind: List), links Services, Ingresses and TargetGroupBindings to the
workloads behind them, works out each AWS load balancer's timing, and reports
every cause of dropped requests with its numbers and its fix.

PATH is a file, a directory (add -R to recurse) or - for stdin. With no PATH,
the current directory is checked recursively. A broken document is reported
with its file and line, and every other document is still checked.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage or input errors (findings are still printed).

Suppress a finding on an object or its pod template with the annotation
zerodrop.dev/ignore: "ZD003,ZD008" (and zerodrop.dev/ignore-reason); or grade
rules in .zerodrop.yaml. Suppressed findings are always listed.`,
		Example: `  zerodrop check examples/seed/naive
  zerodrop check -R manifests/ --kube-version 1.29
  helm template my-chart | zerodrop check - -n shop
  zerodrop check -k overlays/prod -o sarif > zerodrop.sarif
  zerodrop check deploy.yaml --profile measured-nlb.yaml --fail-on error`,
		RunE: func(c *cobra.Command, args []string) error { return runCheck(c, &f, args) },
	}
	f.addManifestFlags(c, report.Formats()...)
	fl := c.Flags()
	addRulesFlag(fl, &f.only)
	addFindingOutputFlags(fl, &f.failOn, &f.color, &f.verbose)
	return c
}

// ruleSettings are the flags every checking command shares with
// .zerodrop.yaml: where the config is, the cluster version, the timing
// profile, the rules to run and the failing grade.
type ruleSettings struct {
	configPath, kubeVersion, profile, only, failOn string
}

// apply reads the config and fills opts' rule settings; flags win over the
// config. It returns the config for the command's other settings.
func (r ruleSettings) apply(opts *check.Options) (*config.Config, error) {
	cfgPath, explicit := r.configPath, r.configPath != ""
	if !explicit {
		cfgPath = config.FileName
	}
	cfg, err := config.Load(cfgPath, explicit)
	if err != nil {
		return nil, usageError("%v", err)
	}
	if opts.FailOn, err = finding.ParseSeverity(first(r.failOn, cfg.FailOn, "warning")); err != nil {
		return nil, usageError("--fail-on: %v", err)
	}
	if kv := first(r.kubeVersion, cfg.KubeVersion); kv != "" {
		if opts.KubeVersion, err = kubeversion.Parse(kv); err != nil {
			return nil, usageError("--kube-version: %v", err)
		}
	}
	if prof := first(r.profile, cfg.Profile); prof != "" {
		if opts.Timing, err = timing.LoadProfile(prof); err != nil {
			return nil, usageError("--profile: %v", err)
		}
	}
	if opts.RuleSeverity, err = cfg.RuleSeverity(); err != nil {
		return nil, usageError("%v", err)
	}
	if r.only != "" {
		opts.Only = map[string]bool{}
		for _, id := range strings.Split(r.only, ",") {
			rule := rules.Lookup(strings.TrimSpace(id))
			if rule == nil {
				return nil, usageError("--rules: unknown rule %q; 'zerodrop rules' lists them", id)
			}
			opts.Only[rule.ID] = true
		}
	}
	return cfg, nil
}

// buildOptions turns flags and config into check options.
func buildOptions(c *cobra.Command, f *checkFlags, args []string) (check.Options, error) {
	paths, charts, recursive, err := f.in.sources(args)
	if err != nil {
		return check.Options{}, err
	}
	opts := check.Options{
		Paths: paths, Stdin: c.InOrStdin(), Kustomizations: f.in.kustomize,
		Load:        load.Options{Recursive: recursive, MaxDocumentBytes: f.in.maxDocBytes},
		DefaultPath: f.in.defaulted(args),
		Charts:      charts,
		Helm:        helmchart.Options{ValueFiles: f.in.values, Set: f.in.set, ReleaseName: f.in.releaseName},
	}
	if opts.Selector, err = parseSelector(f.in.selector); err != nil {
		return opts, err
	}
	opts.StdinPending = func() bool { return stdinPending(opts.Stdin) }
	cfg, err := ruleSettings{f.configPath, f.kubeVersion, f.profile, f.only, f.failOn}.apply(&opts)
	if err != nil {
		return opts, err
	}
	if err := f.app.apply(&opts); err != nil {
		return opts, err
	}
	opts.Namespace = first(f.in.namespace, cfg.Namespace)
	opts.Helm.Namespace = opts.Namespace
	if opts.KubeVersion.Major != 0 && !opts.KubeVersion.Assumed {
		opts.Helm.KubeVersion = opts.KubeVersion.String()
	}
	return opts, nil
}

func runCheck(c *cobra.Command, f *checkFlags, args []string) error {
	if !contains(report.Formats(), f.output) {
		return usageError("--output %q: want one of %s", f.output, strings.Join(report.Formats(), ", "))
	}
	opts, err := buildOptions(c, f, args)
	if err != nil {
		return err
	}
	limitMemory(opts.Paths)
	opts.Load.Read = collectByStdin(opts.Paths)
	opts.DropPatches = true // check reports; only fix applies patches
	res := check.Run(c.Context(), opts)
	return writeResult(c, res, f.output, f.color, f.verbose)
}

// writeResult prints a check result in the chosen format and turns it into
// the exit code: 2 for input errors, 1 for findings at or above --fail-on.
func writeResult(c *cobra.Command, res *check.Result, output, color string, verbose bool) error {
	ropts := report.Options{Color: useColor(color, c.OutOrStdout()), Verbose: verbose, ToolVersion: Version(), Width: terminalWidth(c.OutOrStdout())}
	if err := report.Write(c.OutOrStdout(), output, res, ropts); err != nil {
		return &exitError{code: ExitInput, err: fmt.Errorf("writing %s output: %w", output, err)}
	}
	switch {
	case len(res.Errors) > 0:
		return &exitError{code: ExitInput}
	case res.Summary.Failed:
		return &exitError{code: ExitFindings}
	}
	return nil
}

// terminalWidth is w's width in columns when w is a terminal, else 0: text
// output is wrapped only for a person reading it, never for a pipe or file.
func terminalWidth(w io.Writer) int {
	fd, ok := w.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(fd.Fd())) {
		return 0
	}
	width, _, err := term.GetSize(int(fd.Fd()))
	if err != nil || width <= 0 {
		return 0
	}
	return width
}

// useColor decides on ANSI colour: only on a terminal, never with NO_COLOR.
func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	if fd, ok := w.(interface{ Fd() uintptr }); ok {
		return term.IsTerminal(int(fd.Fd()))
	}
	return false
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
