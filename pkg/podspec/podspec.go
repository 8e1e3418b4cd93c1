// Package podspec reads what matters for termination and traffic out of a
// pod template: the preStop delay, the grace period, which containers serve a
// Service port, and whether a shell sits between the kubelet and the app.
package podspec

import (
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DefaultGrace is Kubernetes' default terminationGracePeriodSeconds.
const DefaultGrace = 30

// Grace returns the pod's grace period and whether it was written.
func Grace(spec *inventory.PodSpec) (int64, bool) {
	if spec.TerminationGracePeriodSeconds == nil {
		return DefaultGrace, false
	}
	return *spec.TerminationGracePeriodSeconds, true
}

// PreStop describes a container's preStop hook.
type PreStop struct {
	// Present is false when the container has no preStop hook.
	Present bool
	// Seconds is the delay the hook is known to give; Known is false when
	// the hook's duration cannot be read (an HTTP call, a script).
	Seconds int64
	Known   bool
	// Handler is "sleep" (native action), "exec" or "httpGet"/"tcpSocket".
	Handler string
	// Shell is true when an exec hook runs through a shell.
	Shell bool
	// AfterMain is set (by PreStopFor) for a native sidecar that gets
	// SIGTERM only after the main containers exit: the hook described is
	// then the longest of theirs, that of container From.
	AfterMain bool
	From      string
}

// ReadPreStop reads a container's preStop hook.
func ReadPreStop(c *inventory.Container) PreStop {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return PreStop{}
	}
	h := c.Lifecycle.PreStop
	switch {
	case h.Sleep != nil:
		return PreStop{Present: true, Seconds: h.Sleep.Seconds, Known: true, Handler: "sleep"}
	case h.Exec != nil:
		p := PreStop{Present: true, Handler: "exec"}
		cmd := h.Exec.Command
		if script, ok := ShellScript(cmd); ok {
			p.Shell = true
			p.Seconds, p.Known = sleepInScript(script)
			return p
		}
		if len(cmd) == 2 && path.Base(cmd[0]) == "sleep" {
			p.Seconds, p.Known = parseSleep(cmd[1])
		}
		return p
	case h.HTTPGet != nil:
		return PreStop{Present: true, Handler: "httpGet"}
	case h.TCPSocket != nil: //nolint:staticcheck // deprecated but still accepted by old clusters
		return PreStop{Present: true, Handler: "tcpSocket"}
	}
	return PreStop{Present: true}
}

var shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true, "busybox": false}

// ShellScript returns the script when argv runs "sh -c SCRIPT" (any common
// shell, flags like -ec allowed).
func ShellScript(argv []string) (string, bool) {
	if len(argv) < 3 || !shells[path.Base(argv[0])] {
		return "", false
	}
	for i := 1; i < len(argv)-1; i++ {
		f := argv[i]
		if !strings.HasPrefix(f, "-") {
			return "", false
		}
		if strings.Contains(f, "c") {
			return argv[i+1], true
		}
	}
	return "", false
}

// sleepInScript finds "sleep N" at the start of a script.
func sleepInScript(script string) (int64, bool) {
	fields := strings.FieldsFunc(script, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == ';' || r == '&' })
	for i := 0; i+1 < len(fields); i++ {
		if path.Base(fields[i]) == "sleep" {
			return parseSleep(fields[i+1])
		}
	}
	return 0, false
}

// parseSleep reads sleep's argument as coreutils and busybox take it: a
// number of seconds, or with a suffix s, m, h or d. "infinity" (a common way
// to hold a pod until its grace period ends), and any value past
// maxSleepSeconds, is not a duration zerodrop can compare: not known.
func parseSleep(s string) (int64, bool) {
	s = strings.Trim(s, `"'`)
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "s"):
		s = strings.TrimSuffix(s, "s")
	case strings.HasSuffix(s, "m"):
		s, mult = strings.TrimSuffix(s, "m"), 60
	case strings.HasSuffix(s, "h"):
		s, mult = strings.TrimSuffix(s, "h"), 3600
	case strings.HasSuffix(s, "d"):
		s, mult = strings.TrimSuffix(s, "d"), 86400
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f*mult > maxSleepSeconds {
		return 0, false
	}
	return int64(f * mult), true
}

// maxSleepSeconds bounds a preStop sleep zerodrop reads as a number: a
// year, far past any grace period.
const maxSleepSeconds = 365 * 86400

// IsSidecar reports a native sidecar: an init container with restartPolicy
// Always (Kubernetes 1.28 alpha, on by default from 1.29, GA in 1.33). It
// starts before the main containers and then runs beside them for the
// pod's life: it serves ports like them (the endpoints controller resolves
// a named targetPort against it), and on termination it gets SIGTERM only
// after every main container has exited.
func IsSidecar(c *inventory.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// Running returns the containers that run once the pod has started: the
// main containers, then the native sidecars, in the order the endpoints
// controller looks a named port up in.
func Running(spec *inventory.PodSpec) []*inventory.Container {
	out := make([]*inventory.Container, 0, len(spec.Containers)+len(spec.InitContainers))
	for i := range spec.Containers {
		out = append(out, &spec.Containers[i])
	}
	for i := range spec.InitContainers {
		if IsSidecar(&spec.InitContainers[i]) {
			out = append(out, &spec.InitContainers[i])
		}
	}
	return out
}

// ContainerList names the pod spec list container name is in:
// "initContainers" for a native sidecar, else "containers".
func ContainerList(spec *inventory.PodSpec, name string) string {
	for i := range spec.InitContainers {
		if c := &spec.InitContainers[i]; c.Name == name && IsSidecar(c) {
			return "initContainers"
		}
	}
	return "containers"
}

// PreStopFor is how long after deletion container c of spec keeps running
// before SIGTERM, as the kubelet orders termination: it starts every
// container's preStop hook at once, within the one grace period; a main
// container gets SIGTERM when its own hook ends; a native sidecar only once
// its own hook has ended and every main container has exited, which is no
// sooner than the longest of their hooks (kubelet killContainer: the hook,
// then waitForTurn; "Pod shutdown and sidecar containers" in the pod
// lifecycle docs). For a main container this is ReadPreStop. For a sidecar
// whose own hook is shorter than the main containers', or absent, it is
// their longest hook, with Handler naming it and AfterMain set; a main
// hook of unknown length leaves a sidecar without a hook of its own
// unknown too.
func PreStopFor(spec *inventory.PodSpec, c *inventory.Container) PreStop {
	own := ReadPreStop(c)
	if !IsSidecar(c) {
		return own
	}
	var mains PreStop
	for i := range spec.Containers {
		m := ReadPreStop(&spec.Containers[i])
		switch {
		case !m.Present:
		case !m.Known:
			if !mains.Present {
				mains = PreStop{Present: true, Handler: m.Handler, From: spec.Containers[i].Name}
			}
		case !mains.Known || m.Seconds > mains.Seconds:
			mains = m
			mains.From = spec.Containers[i].Name
		}
	}
	if !mains.Present || (own.Present && (!mains.Known || (own.Known && own.Seconds >= mains.Seconds))) {
		return own
	}
	if own.Present && !own.Known {
		return own
	}
	mains.AfterMain = true
	return mains
}

// ServingContainers returns the containers that serve a Service port's
// target (a number or a container port name): main containers and native
// sidecars. A named target resolves as the endpoint controller resolves it:
// to a container port of that name and of the Service port's protocol (TCP
// when unset), so a "dns" name declared for UDP does not serve a TCP port.
// When the port matches nothing, it returns nil.
func ServingContainers(spec *inventory.PodSpec, port *corev1.ServicePort) []*inventory.Container {
	var out []*inventory.Container
	for _, c := range Running(spec) {
		if PortFor(c, port) != nil {
			out = append(out, c)
		}
	}
	return out
}

// PortFor returns the port of container c that serves the Service port
// (nil when c serves none of it): by name and protocol for a named target,
// by number otherwise.
func PortFor(c *inventory.Container, port *corev1.ServicePort) *corev1.ContainerPort {
	targetPort := TargetPort(port)
	for i := range c.Ports {
		p := &c.Ports[i]
		if (targetPort.Type == intstr.String && p.Name == targetPort.StrVal && protocol(p.Protocol) == protocol(port.Protocol)) ||
			(targetPort.Type == intstr.Int && p.ContainerPort == targetPort.IntVal) {
			return p
		}
	}
	return nil
}

// NamedElsewhere returns the protocol of a container port that carries the
// Service port's target name but not its protocol ("" when there is none):
// the reason a named target that looks declared resolves to nothing.
func NamedElsewhere(spec *inventory.PodSpec, port *corev1.ServicePort) corev1.Protocol {
	targetPort := TargetPort(port)
	if targetPort.Type != intstr.String {
		return ""
	}
	for _, c := range Running(spec) {
		for _, p := range c.Ports {
			if p.Name == targetPort.StrVal && protocol(p.Protocol) != protocol(port.Protocol) {
				return protocol(p.Protocol)
			}
		}
	}
	return ""
}

// protocol reads an unset protocol as the API defaults it: TCP.
func protocol(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// Serving returns the containers that serve any of ports: the one answer to
// "which container serves this port" that every rule and the simulator
// read. When no port resolves to a container it falls back to the
// containers that declare ports, then to the first container; resolved
// says whether a port matched.
func Serving(spec *inventory.PodSpec, ports []*corev1.ServicePort) (out []*inventory.Container, resolved bool) {
	seen := map[*inventory.Container]bool{}
	for _, p := range ports {
		if p == nil {
			continue
		}
		for _, c := range ServingContainers(spec, p) {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	if len(out) > 0 {
		return out, true
	}
	for _, c := range Running(spec) {
		if len(c.Ports) > 0 {
			out = append(out, c)
		}
	}
	if len(out) == 0 && len(spec.Containers) > 0 {
		out = append(out, &spec.Containers[0])
	}
	return out, false
}

// TargetPort returns the port a Service port forwards to (its port when
// targetPort is unset).
func TargetPort(p *corev1.ServicePort) intstr.IntOrString {
	if p.TargetPort.Type == intstr.String && p.TargetPort.StrVal != "" {
		return p.TargetPort
	}
	if p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal != 0 {
		return p.TargetPort
	}
	return intstr.FromInt32(p.Port)
}

// DeclaresPorts reports whether any container lists ports. Containers may
// serve ports they do not declare, so an unmatched numeric targetPort is only
// a certain mismatch when ports are declared.
func DeclaresPorts(spec *inventory.PodSpec) bool {
	for _, c := range Running(spec) {
		if len(c.Ports) > 0 {
			return true
		}
	}
	return false
}

// Script classifies a shell script for signal handling.
type Script int

// Script kinds.
const (
	NotShell     Script = iota
	Simple              // one simple command: some shells exec it, some do not
	Exec                // the last command is exec'd: signals reach the app
	Compound            // several commands, no exec: the shell keeps PID 1
	Backgrounded        // the app runs in the background (&) and the shell waits
)

// ClassifyEntrypoint looks at a container's command and args.
func ClassifyEntrypoint(c *inventory.Container) (Script, string) {
	argv := append(append([]string(nil), c.Command...), c.Args...)
	script, ok := ShellScript(argv)
	if !ok {
		return NotShell, ""
	}
	return ClassifyScript(script), script
}

// ClassifyScript reads a shell script's shape.
func ClassifyScript(script string) Script {
	s := strings.TrimSpace(script)
	stmts := splitStatements(s)
	if len(stmts) == 0 {
		return Simple
	}
	last := strings.TrimSpace(stmts[len(stmts)-1])
	if strings.HasPrefix(last, "exec ") || last == "exec" {
		return Exec
	}
	for _, st := range stmts {
		if strings.HasSuffix(strings.TrimSpace(st), "&") && !strings.HasSuffix(strings.TrimSpace(st), "&&") {
			return Backgrounded
		}
	}
	// A plain $VAR expands in place; a pipe or a command substitution runs
	// more processes under the shell.
	if len(stmts) == 1 && !strings.ContainsAny(last, "|`") && !strings.Contains(last, "$(") {
		return Simple
	}
	return Compound
}

// shellKeywords start or end compound commands; exec cannot go before them.
var shellKeywords = map[string]bool{"if": true, "then": true, "else": true, "elif": true, "fi": true,
	"for": true, "while": true, "until": true, "do": true, "done": true, "case": true, "esac": true,
	"function": true, "{": true, "}": true, "(": true, ")": true, "wait": true, "exit": true, "trap": true,
	"return": true, "!": true, "[": true, "[[": true, "test": true, "true": true, "false": true, ":": true}

// InsertExec puts exec before the last command of a script, so the app
// replaces the shell as PID 1 and gets SIGTERM. It refuses (false) when that
// is not clearly safe: a pipeline, a background job, a compound command, an
// assignment, or a builtin as the last command.
func InsertExec(script string) (string, bool) {
	start, ok := lastStatementStart(script)
	if !ok {
		return "", false
	}
	stmt := strings.TrimSpace(script[start:])
	fields := strings.Fields(stmt)
	if len(fields) == 0 || fields[0] == "exec" {
		return "", false
	}
	if shellKeywords[fields[0]] || strings.Contains(fields[0], "=") || strings.HasPrefix(fields[0], "(") {
		return "", false
	}
	if strings.ContainsAny(stmt, "|&`;") || strings.Contains(stmt, "$(") || strings.HasSuffix(stmt, "\\") {
		return "", false
	}
	for start < len(script) && (script[start] == ' ' || script[start] == '\t') {
		start++
	}
	return script[:start] + "exec " + script[start:], true
}

// lastStatementStart finds where the last top-level statement begins: after
// the last unquoted newline, ";", "&&" or "||".
func lastStatementStart(s string) (int, bool) {
	end := len(strings.TrimRight(s, " \t\n;"))
	if end == 0 {
		return 0, false
	}
	start := 0
	var quote byte
	for i := 0; i < end; i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\\':
			i++
		case c == '\n' || c == ';':
			start = i + 1
		case (c == '&' || c == '|') && i+1 < end && s[i+1] == c:
			start = i + 2
			i++
		}
	}
	if quote != 0 {
		return 0, false
	}
	// Skip blank lines before the statement; a comment there means the
	// last line is not a command.
	rest := s[start:end]
	t := strings.TrimLeft(rest, " \t\n")
	if strings.HasPrefix(t, "#") {
		return 0, false
	}
	return start + len(rest) - len(t), true
}

// ScriptArg returns where the script sits in a container's command and args:
// inCommand, and its index there.
func ScriptArg(c *inventory.Container) (inCommand bool, index int, ok bool) {
	argv := append(append([]string(nil), c.Command...), c.Args...)
	if _, isShell := ShellScript(argv); !isShell {
		return false, 0, false
	}
	for i := 1; i < len(argv)-1; i++ {
		if strings.HasPrefix(argv[i], "-") && strings.Contains(argv[i], "c") {
			j := i + 1
			if j < len(c.Command) {
				return true, j, true
			}
			return false, j - len(c.Command), true
		}
	}
	return false, 0, false
}

// splitStatements splits on newlines, ";", "&&" and "||" outside quotes.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	rs := []rune(s)
	flush := func() {
		t := strings.TrimSpace(cur.String())
		if t != "" && !strings.HasPrefix(t, "#") {
			out = append(out, t)
		}
		cur.Reset()
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if quote != 0 {
			cur.WriteRune(r)
			if r == quote {
				quote = 0
			}
			continue
		}
		switch {
		case r == '\'' || r == '"':
			quote = r
			cur.WriteRune(r)
		case r == '\n' || r == ';':
			flush()
		case (r == '&' || r == '|') && i+1 < len(rs) && rs[i+1] == r:
			flush()
			i++
		case r == '&':
			cur.WriteRune(r)
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

// Readiness reads a readiness probe's timing with the Kubernetes defaults
// for unset fields (periodSeconds 10, successThreshold 1); nil is no probe.
func Readiness(rp *corev1.Probe) timing.Readiness {
	if rp == nil {
		return timing.Readiness{}
	}
	r := timing.Readiness{InitialDelay: int64(rp.InitialDelaySeconds), Period: int64(rp.PeriodSeconds), SuccessThreshold: int64(rp.SuccessThreshold)}
	if r.Period == 0 {
		r.Period = 10
	}
	if r.SuccessThreshold == 0 {
		r.SuccessThreshold = 1
	}
	return r
}
