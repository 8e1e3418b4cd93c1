package rules

import (
	"fmt"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/podspec"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// Signals flags shell wrappers that keep SIGTERM from the app: the shell is
// PID 1, does not forward signals, and the app is SIGKILLed at the end of the
// grace period with its requests in flight.
var Signals = register(&Rule{
	ID: "ZD007", Name: "signals", Severity: finding.Warning, Scope: Everywhere,
	Title: "Shell wrapper that does not pass SIGTERM to the app",
	Run:   runSignals,
})

func runSignals(p *Pass) {
	for _, w := range p.Graph.Inv.Workloads {
		// Native sidecars get SIGTERM too (after the main containers).
		for _, c := range podspec.Running(&w.Template.Spec) {
			kind, script := podspec.ClassifyEntrypoint(c)
			ev := finding.Fact("script", oneLine(script), timing.FromManifest, "container "+c.Name+" command/args")
			switch kind {
			case podspec.Compound:
				p.ReportPatch(execPatch(w, c, script), podMeta(w), c.Name, finding.Warning,
					fmt.Sprintf("Container %s starts the app from a shell script without exec: the shell stays PID 1 and does not pass SIGTERM on, so the app never drains; it is killed at the end of the grace period with its requests in flight.", c.Name),
					"start the app with exec as the script's last command (exec my-app …), use the exec form without a shell, or run the script under an init that signals the whole process group (tini -g, dumb-init)", ev)
			case podspec.Backgrounded:
				p.Report(podMeta(w), c.Name, finding.Warning,
					fmt.Sprintf("Container %s runs its process in the background (&) under a shell that is PID 1: SIGTERM stops at the shell and the app is killed at the end of the grace period.", c.Name),
					"run the main process in the foreground with exec, or run the script under an init that signals the whole process group (tini -g, dumb-init)", ev)
			case podspec.Simple:
				p.ReportPatch(execPatch(w, c, script), podMeta(w), c.Name, finding.Info,
					fmt.Sprintf("Container %s runs a single command through sh -c; some shells exec it (signals then reach the app), others stay PID 1 and swallow SIGTERM.", c.Name),
					"drop the shell and use the exec form, or write exec before the command", ev)
			}
		}
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// execPatch rewrites the script with exec before its last command, when
// that is clearly safe, keeping every other argument as written.
func execPatch(w *inventory.Workload, c *inventory.Container, script string) *finding.Patch {
	fixed, ok := podspec.InsertExec(script)
	if !ok {
		return nil
	}
	inCommand, i, ok := podspec.ScriptArg(c)
	if !ok {
		return nil
	}
	field, list := "args", c.Args
	if inCommand {
		field, list = "command", c.Command
	}
	out := make([]any, len(list))
	for k, a := range list {
		out[k] = a
	}
	out[i] = fixed
	return containerPatch(w, c.Name, map[string]any{field: out}, fmt.Sprintf("container %s: exec before the last command of its shell script", c.Name))
}
