// Package cli wires zerodrop's commands to its library packages. Each command
// is a small file; the work happens in pkg/.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK       = 0 // nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitInput    = 2 // usage or input error
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// usageError marks a bad flag or argument: exit 2.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitInput, err: fmt.Errorf(format, args...)}
}

// Main runs the CLI and returns the process exit code. The usage text
// names the program as it was called (os.Args[0]): installed as
// kubectl-zerodrop, it is "kubectl zerodrop".
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return MainAs(filepath.Base(os.Args[0]), args, stdin, stdout, stderr)
}

// MainAs is Main for a program called by the given name.
func MainAs(name string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	asPlugin(root, name)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "zerodrop:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "zerodrop:", err)
	return ExitInput
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "zerodrop",
		Short: "Zero dropped requests when workloads behind AWS load balancers roll, scale or drain",
		Long: `zerodrop checks Kubernetes workloads behind AWS load balancers (ALB through an
Ingress, NLB or CLB through a Service) for what drops requests on a rollout,
scale-in or node drain: instance targets, missing readiness gates, no preStop
delay, short grace periods, missing probes and budgets, shell wrappers that eat
SIGTERM, and a deregistration delay that does not fit. It knows the load
balancer's timing and says why, with the numbers.

check finds the problems in manifests, fix applies the fixes in your files,
simulate replays a rollout against the load balancer in virtual time, audit
checks a live cluster, webhook warns at admission, and verify sends real
traffic through a real rollout and counts every failed request.`,
		Example: `  zerodrop check examples/seed/naive        # check a directory of manifests
  kustomize build overlays/prod | zerodrop check -   # check a rendered stream
  zerodrop check -k overlays/prod -o sarif > zerodrop.sarif
  zerodrop fix --dry-run examples/seed/naive # the fixes, as a diff
  zerodrop simulate                          # naive vs recommended, ALB and NLB
  zerodrop explain ZD003                     # why a rule exists and how to fix it`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Every command's flags pass the shared range checks first.
		PersistentPreRunE: func(c *cobra.Command, _ []string) error { return validateFlags(c) },
		Version:           "-", // --version; the template prints the build info
	}
	root.SetVersionTemplate(readBuildInfo().Text())
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitInput, err: fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath())}
	})
	root.AddCommand(newCheckCmd(), newFixCmd(), newAuditCmd(), newRulesCmd(), newExplainCmd(), newVersionCmd(), newSimulateCmd(), newVerifyCmd(), newWebhookCmd())
	return root
}

// pluginPrefix is how kubectl finds plugins: an executable kubectl-NAME on
// PATH runs as `kubectl NAME`.
const pluginPrefix = "kubectl-"

// asPlugin makes the help text say `kubectl zerodrop` when the binary was
// called as kubectl-zerodrop (kubectl passes its plugin's path as argv[0]).
func asPlugin(root *cobra.Command, name string) {
	name = strings.TrimSuffix(name, ".exe")
	if !strings.HasPrefix(name, pluginPrefix) {
		return
	}
	display := "kubectl " + strings.ReplaceAll(strings.TrimPrefix(name, pluginPrefix), "_", "-")
	if root.Annotations == nil {
		root.Annotations = map[string]string{}
	}
	root.Annotations[cobra.CommandDisplayNameAnnotation] = display
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Example = strings.ReplaceAll(c.Example, " zerodrop ", " "+display+" ")
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
