package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/zerodrop/zerodrop/pkg/audit"
	"github.com/zerodrop/zerodrop/pkg/report"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

type auditFlags struct {
	kube          *genericclioptions.ConfigFlags
	allNamespaces bool
	output        string
	failOn        string
	profile       string
	kubeVersion   string
	configPath    string
	only          string
	color         string
	verbose       bool
	timeout       time.Duration
	callTimeout   time.Duration
	stuckAfter    time.Duration
	selector      string
}

func newAuditCmd() *cobra.Command {
	f := auditFlags{kube: genericclioptions.NewConfigFlags(true)}
	c := &cobra.Command{
		Use:   "audit",
		Short: "Check the workloads of a live cluster, with what only the cluster can show",
		Long: `Audit reads the cluster (read-only: get and list) and runs the same rules as
'zerodrop check' on what it finds, with the same outputs and exit codes. It
adds what manifests cannot show:

  - pods in a namespace labelled for readiness-gate injection that lack the
    gate (created before the label, the Service or the binding): it names them
    and says a restart fixes it; gates stuck False for long;
  - the server's version, which drives version-dependent advice;
  - the AWS Load Balancer Controller's presence and version, and whether its
    pod webhook fails open;
  - live EndpointSlice sizes against the scalability thresholds.

With -n (or the context's namespace) audit needs no cluster-wide permission:
it gets that Namespace and lists in it; the 'view' ClusterRole bound in the
namespace is enough. Optional kinds (TargetGroupBinding, IngressClassParams,
Rollout) that are not installed or not readable, and cluster-scoped kinds
(IngressClass) not readable with a namespaced role, are skipped with one note
each: notes never change the exit code.

The first failure to reach the cluster ends the audit with one error that
names the cluster, the cause and the fix: no answer, connection refused, a
server certificate the kubeconfig's CA does not trust, credentials refused,
an expired client certificate (with its expiry), no kubeconfig at all (with
where it was looked for). --timeout bounds the whole run, --call-timeout each
call. Lists are paginated. Calls refused on their own (RBAC) are input errors
naming the call, and everything read is checked.`,
		Example: `  zerodrop audit -A                       # every namespace
  zerodrop audit -n shop --context prod -o json
  zerodrop audit -A -o sarif > audit.sarif`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runAudit(c, &f) },
	}
	f.kube.AddFlags(c.Flags())
	fl := c.Flags()
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "audit every namespace (default: the namespace of -n or the kubeconfig context)")
	addOutputFlag(fl, &f.output, report.Formats()...)
	addProfileFlag(fl, &f.profile)
	fl.StringVar(&f.kubeVersion, "kube-version", "", "override the server's version for version-dependent advice")
	addConfigFlag(fl, &f.configPath)
	addRulesFlag(fl, &f.only)
	addFindingOutputFlags(fl, &f.failOn, &f.color, &f.verbose)
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "bound on the whole audit")
	fl.DurationVar(&f.callTimeout, "call-timeout", 20*time.Second, "timeout of each API call")
	addSelectorFlag(c, &f.selector)
	fl.DurationVar(&f.stuckAfter, "stuck-after", 5*time.Minute, "report readiness gates False for longer than this")
	return c
}

func runAudit(c *cobra.Command, f *auditFlags) error {
	if !contains(report.Formats(), f.output) {
		return usageError("--output %q: want one of %s", f.output, strings.Join(report.Formats(), ", "))
	}
	if f.timeout <= 0 || f.callTimeout <= 0 {
		return usageError("--timeout and --call-timeout must be positive")
	}
	opts := audit.Options{AllNamespaces: f.allNamespaces, Timeout: f.timeout, CallTimeout: f.callTimeout, StuckAfter: f.stuckAfter}
	if _, err := (ruleSettings{f.configPath, f.kubeVersion, f.profile, f.only, f.failOn}).apply(&opts.Check); err != nil {
		return err
	}
	sel, err := parseSelector(f.selector)
	if err != nil {
		return err
	}
	opts.Check.Selector = sel
	loader := f.kube.ToRawKubeConfigLoader()
	raw, err := loader.RawConfig()
	if err != nil {
		return usageError("kubeconfig: %v", err)
	}
	if err := kubeconfigFound(f.kube, raw.Clusters); err != nil {
		return err
	}
	ns, _, err := loader.Namespace()
	if err != nil {
		return usageError("kubeconfig: %v", err)
	}
	opts.Namespace = ns
	rest, err := f.kube.ToRESTConfig()
	if err != nil {
		return usageError("kubeconfig: %v", err)
	}
	// A call never waits longer than the whole audit may.
	rest.Timeout = min(f.callTimeout, f.timeout)
	name := first(*f.kube.Context, raw.CurrentContext, rest.Host)
	opts.Source = "cluster " + name
	opts.Cluster = audit.DescribeCluster(name, rest)
	dyn, err := dynamic.NewForConfig(rest)
	if err != nil {
		return usageError("client: %v", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(rest)
	if err != nil {
		return usageError("client: %v", err)
	}
	bars := &stages{w: c.ErrOrStderr(), show: isTerminal(c.ErrOrStderr())}
	opts.Progress = func(done, total int) { bars.Report("auditing", done, total) }
	res, err := audit.Run(c.Context(), audit.Clients{Dynamic: dyn, Discovery: disc}, opts)
	bars.Done()
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	return writeResult(c, res, f.output, f.color, f.verbose)
}

// kubeconfigFound fails when no kubeconfig names a cluster and the command
// does not run in a pod: client-go would otherwise quietly try
// http://localhost:8080. The error says where it looked.
func kubeconfigFound(kube *genericclioptions.ConfigFlags, clusters map[string]*clientcmdapi.Cluster) error {
	if len(clusters) > 0 || (kube.APIServer != nil && *kube.APIServer != "") || os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return nil
	}
	var looked []string
	switch {
	case kube.KubeConfig != nil && *kube.KubeConfig != "":
		looked = append(looked, "--kubeconfig "+*kube.KubeConfig)
	case os.Getenv(clientcmd.RecommendedConfigPathEnvVar) != "":
		looked = append(looked, "$KUBECONFIG ("+os.Getenv(clientcmd.RecommendedConfigPathEnvVar)+")")
	default:
		looked = append(looked, "$KUBECONFIG (not set)", clientcmd.RecommendedHomeFile)
	}
	looked = append(looked, "in-cluster credentials (not in a pod: KUBERNETES_SERVICE_HOST not set)")
	return &exitError{code: ExitInput, err: fmt.Errorf("no kubeconfig found: looked in %s; point --kubeconfig or $KUBECONFIG at one, or pass --server with credentials", strings.Join(looked, ", "))}
}
