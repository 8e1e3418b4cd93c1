package sim

import (
	"slices"
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

var all = []Event{Rollout, ScaleIn, Drain}

// Links is the rule ↔ cause ↔ event table.
var Links = []Link{
	{"ZD001", CauseNoTargets, all, "the controller cannot build the target group: no target"},
	{"ZD002", CauseNoTargets, []Event{Rollout, Drain}, "without the readiness gate, old pods go before new ones are registered"},
	{"ZD002", CauseStopped, []Event{Rollout, Drain}, "without the readiness gate, old pods go before new ones are registered"},
	{"ZD002", CauseKeepAliveClosed, []Event{Rollout, Drain}, "without the readiness gate, old pods go before new ones are registered"},
	{"ZD002", CauseExited, []Event{Rollout, Drain}, "without the readiness gate, old pods go before new ones are registered"},
	{"ZD002", CausePodGone, []Event{Rollout, Drain}, "without the readiness gate, old pods go before new ones are registered"},
	{"ZD003", CauseStopped, all, "SIGTERM before the load balancer stops sending"},
	{"ZD003", CauseKeepAliveClosed, all, "SIGTERM before the load balancer stops sending"},
	{"ZD003", CauseExited, all, "SIGTERM before the load balancer stops sending"},
	{"ZD003", CausePodGone, all, "SIGTERM before the load balancer stops sending"},
	{"ZD003", CauseExitInFlight, all, "an app that exits at once on SIGTERM cuts what is in flight"},
	{"ZD003", CauseNoLocalEndpoint, all, "externalTrafficPolicy: Local: the node keeps getting traffic until its health check fails"},
	{"ZD004", CauseKilled, all, "SIGKILL at the end of the grace period cuts what is in flight"},
	{"ZD004", CauseStopped, all, "a grace period shorter than preStop sends SIGTERM early"},
	{"ZD004", CauseKeepAliveClosed, all, "a grace period shorter than preStop sends SIGTERM early"},
	{"ZD004", CauseExited, all, "a grace period shorter than preStop sends SIGTERM early"},
	{"ZD004", CausePodGone, all, "a grace period shorter than preStop sends SIGTERM early"},
	{"ZD005", CauseNotListening, all, "no readiness probe: traffic before the app listens"},
	{"ZD006", CauseNoTargets, []Event{Drain}, "no budget in force: a drain evicts every pod at once"},
	{"ZD006", CauseNoEndpoints, []Event{Drain}, "no budget in force: a drain evicts every pod at once"},
	{"ZD007", CauseKilled, all, "the app never sees SIGTERM and is killed with requests in flight"},
	{"ZD007", CauseExitInFlight, all, "the app exits at once on SIGTERM"},
	{"ZD008", CauseDeregEnd, all, "the deregistration delay ends before the last request does"},
	{"ZD009", CauseNoTargets, []Event{Rollout}, "the ELB API refuses the health check: the target group stops following the pods"},
	{"ZD010", CauseNoTargets, []Event{Rollout}, "the update strategy takes every pod down at once"},
	{"ZD010", CauseNoEndpoints, []Event{Rollout}, "the update strategy takes every pod down at once"},
	{"ZD011", CauseNoTargets, all, "the Service's targetPort reaches no container"},
	{"ZD011", CauseNoEndpoints, all, "the Service's targetPort reaches no container"},
	{"ZD012", CauseNoTargets, []Event{Drain}, "every pod on one node: a drain takes them all"},
	{"ZD012", CauseNoEndpoints, []Event{Drain}, "every pod on one node: a drain takes them all"},
	{"ZD013", CauseNoTargets, []Event{ScaleIn, Drain}, "one replica: removing it leaves nothing"},
	{"ZD013", CauseNoEndpoints, []Event{ScaleIn, Drain}, "one replica: removing it leaves nothing"},
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
