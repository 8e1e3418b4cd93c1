package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/rules"
)

// Link ties a check rule to a failure cause the simulator reports, for the
// events in which the rule's mechanism produces that cause. It is the one
// place that says which finding explains which simulated failure: result
// causes name their rules from it, docs/commands/simulate.md prints it (a
// test keeps the two equal), and the differential test judges P2 and P3
// with it.
type Link struct {
	Rule   string
	Cause  Cause
	Events []Event
	// Why is the mechanism, in a few words.
	Why string
}

// Causes that follow from taking serving capacity away: with nothing
// healthy left the load balancer has no target, or (failing open, or still
// draining) keeps sending to pods that are going away.
// A pod kept in service because nothing else is (kube-proxy's terminating
// endpoints, a draining target) also cuts what is in flight when it exits.
var capacity = []Cause{CauseNoTargets, CauseNoEndpoints, CauseStopped, CauseKeepAliveClosed, CauseExited, CausePodGone,
	CauseStaleConntrack, CauseNoLocalEndpoint, CauseExitInFlight, CauseKilled}

// Causes of a pod that gets SIGTERM while the load balancer still sends.
// A pod gone while kube-proxy still lists it also leaves stale conntrack
// entries that outlive kube-proxy's update.
var early = []Cause{CauseStopped, CauseKeepAliveClosed, CauseExited, CausePodGone, CauseStaleConntrack, CauseExitInFlight, CauseNoLocalEndpoint}

var all = []Event{Rollout, ScaleIn, Drain}

// Links is the rule ↔ cause ↔ event table, keyed by the rules' values.
var Links = links(
	group{rules.TargetType, []Cause{CauseNoTargets}, all, "the controller cannot build the target group: no target"},
	group{rules.ReadinessGate, capacity, []Event{Rollout, Drain}, "without the readiness gate, old pods go before new ones are registered (drains ignore minReadySeconds)"},
	group{rules.PreStop, early, all, "SIGTERM before the load balancer stops sending (plus the longest request for an app that exits at once)"},
	group{rules.GracePeriod, []Cause{CauseKilled}, all, "SIGKILL at the end of the grace period cuts what is in flight"},
	group{rules.GracePeriod, early, all, "a grace period shorter than preStop: SIGTERM when the grace period ends"},
	group{rules.ReadinessProbe, []Cause{CauseNotListening}, all, "no readiness probe: traffic before the app listens"},
	group{rules.ReadinessProbe, capacity, []Event{Rollout, Drain}, "no readiness probe: a pod counts as ready before it serves, so old pods go too early"},
	group{rules.PDB, capacity, []Event{Drain}, "no budget in force: a drain evicts every pod at once"},
	group{rules.Signals, []Cause{CauseKilled, CauseExitInFlight}, all, "the app never sees SIGTERM, or exits at once on it"},
	group{rules.DeregistrationDelay, []Cause{CauseDeregEnd}, all, "the deregistration delay ends before the last request does"},
	group{rules.HealthCheck, capacity, all, "the ELB API refuses the health check: the target group stops following the pods (ip targets)"},
	group{rules.Rollout, capacity, []Event{Rollout}, "the update strategy takes every pod down at once"},
	group{rules.Rollout, []Cause{CauseNoLocalEndpoint}, []Event{Rollout, Drain}, "externalTrafficPolicy: Local: a new pod's node joins only once its health check passes; when every old node has left first, the load balancer fails open to nodes without a pod"},
	group{rules.Ports, []Cause{CauseNoTargets, CauseNoEndpoints}, all, "the Service's targetPort reaches no container"},
	group{rules.Topology, capacity, []Event{Drain}, "every pod on one node: a drain takes them all"},
	group{rules.Scale, capacity, []Event{ScaleIn, Drain}, "one replica: removing it leaves nothing"},
)

type group struct {
	rule   *rules.Rule
	causes []Cause
	events []Event
	why    string
}

func links(gs ...group) []Link {
	var out []Link
	for _, g := range gs {
		for _, c := range g.causes {
			out = append(out, Link{Rule: g.rule.ID, Cause: c, Events: g.events, Why: g.why})
		}
	}
	return out
}

// RulesFor lists the rules that judge a cause in an event, sorted.
func RulesFor(c Cause, ev Event) []string {
	var out []string
	for _, l := range Links {
		if l.Cause == c && slices.Contains(l.Events, ev) && !slices.Contains(out, l.Rule) {
			out = append(out, l.Rule)
		}
	}
	slices.Sort(out)
	return out
}

// Explains reports whether a finding of rule explains cause c in event ev.
func Explains(rule string, c Cause, ev Event) bool {
	for _, l := range Links {
		if l.Rule == rule && l.Cause == c && slices.Contains(l.Events, ev) {
			return true
		}
	}
	return false
}

// LinksTable renders Links as the Markdown table docs/commands/simulate.md
// shows (a test keeps the two equal): one row per rule and mechanism, with
// the events and the causes, by their report names.
func LinksTable() string {
	var b strings.Builder
	b.WriteString("| rule | event | simulator causes (`causes[].name`) | mechanism |\n|---|---|---|---|\n")
	for i := 0; i < len(Links); {
		l := Links[i]
		var names []string
		j := i
		for ; j < len(Links) && Links[j].Rule == l.Rule && Links[j].Why == l.Why; j++ {
			names = append(names, "`"+Links[j].Cause.Name()+"`")
		}
		var evs []string
		for _, e := range l.Events {
			evs = append(evs, string(e))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", l.Rule, strings.Join(evs, ", "), strings.Join(names, ", "), l.Why)
		i = j
	}
	return b.String()
}
