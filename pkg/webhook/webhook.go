// Package webhook runs zerodrop's rules at admission: a validating handler
// that answers with short admission warnings (and, when enforcing, denies
// objects with error findings) and an optional mutating handler that adds
// only a preStop delay and a grace period long enough for it.
//
// An admitted object is checked together with what the cluster already
// holds around it (read from informer caches through a Source): the
// Services, Ingresses, IngressClasses, budgets and bindings of its namespace
// that build its load balancer exposures, and the namespace itself. For a
// Service, Ingress, budget or Namespace, the workloads of the namespace are
// read too, and the findings its admission would newly cause on them are
// reported with its own.
//
// The handlers never stand in the way when they cannot answer: a check that
// does not finish within Options.Timeout, a panic, an unreadable object or
// cache all end in "allowed", with a warning saying so.
package webhook

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Labels on a Namespace that steer the webhook there.
const (
	// ModeLabel sets the webhook's mode in a namespace: "off" (not
	// checked), "warn" (warnings only) or "enforce" (deny errors). Without
	// it the namespace gets the default mode (Options.Enforce), or is not
	// checked when Options.OptIn is set.
	ModeLabel = "zerodrop.dev/webhook"
	// MutateLabel "off" keeps the mutating handler out of a namespace.
	MutateLabel = "zerodrop.dev/mutate"
)

// Modes, the values of ModeLabel.
const (
	ModeOff     = "off"
	ModeWarn    = "warn"
	ModeEnforce = "enforce"
)

// Paths the handlers are served at by Run.
const (
	ValidatePath = "/validate"
	MutatePath   = "/mutate"
)

// DefaultTimeout bounds one admission check: below the webhook
// configuration's timeoutSeconds, so the webhook, not the API server, decides
// what happens when the check is slow.
const DefaultTimeout = 2 * time.Second

// DefaultMaxWarnings is how many findings one admission reports as
// warnings; the rest are counted in a last "+N more" line.
const DefaultMaxWarnings = 10

// Options configure the handlers.
type Options struct {
	// Check carries the rule settings: timing profile, Kubernetes version,
	// re-graded or disabled rules, the rules to run.
	Check check.Options
	// Enforce denies objects with error findings in namespaces without a
	// ModeLabel.
	Enforce bool
	// OptIn checks only namespaces labelled with ModeLabel warn or enforce.
	OptIn bool
	// WarnOn is the lowest severity reported as a warning (default
	// warning).
	WarnOn finding.Severity
	// Timeout bounds one admission (default DefaultTimeout).
	Timeout time.Duration
	// MaxWarnings bounds the warnings of one admission (default
	// DefaultMaxWarnings).
	MaxWarnings int
	// Metrics, when set, counts admissions and findings.
	Metrics *Metrics
	// Log receives panics and failures.
	Log logr.Logger
	// Now is the clock (tests set it).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxWarnings <= 0 {
		o.MaxWarnings = DefaultMaxWarnings
	}
	if o.WarnOn == 0 {
		o.WarnOn = finding.Warning
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Results label the admissions metric.
const (
	ResultClean   = "clean"   // checked, nothing to report
	ResultWarned  = "warned"  // allowed with finding warnings
	ResultDenied  = "denied"  // denied (enforce)
	ResultPatched = "patched" // mutated
	ResultSkipped = "skipped" // not checked: kind, operation, namespace mode
	ResultTimeout = "timeout" // allowed unchecked: the deadline passed
	ResultPanic   = "panic"   // allowed unchecked: the check panicked
	ResultError   = "error"   // allowed unchecked: input or cache unreadable
)

// Validator is the validating admission handler.
type Validator struct{ r *reviewer }

// NewValidator returns the validating handler over src.
func NewValidator(src Source, opts Options) *Validator {
	return &Validator{r: newReviewer(src, opts)}
}

// Handle implements admission.Handler.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return v.r.guard(ctx, req, "validate", v.r.validate)
}

// Mutator is the mutating admission handler: preStop and grace period only.
type Mutator struct{ r *reviewer }

// NewMutator returns the mutating handler over src.
func NewMutator(src Source, opts Options) *Mutator {
	return &Mutator{r: newReviewer(src, opts)}
}

// Handle implements admission.Handler.
func (m *Mutator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return m.r.guard(ctx, req, "mutate", m.r.mutate)
}

// answer is a handler's response and how to count it.
type answer struct {
	resp     admission.Response
	result   string
	findings []finding.Finding
}

// guard runs one handler under the deadline, turns a panic or a late answer
// into "allowed" with a warning, and records metrics.
func (r *reviewer) guard(ctx context.Context, req admission.Request, hook string, fn func(context.Context, admission.Request) answer) admission.Response {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	ch := make(chan answer, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				r.opts.Log.Error(fmt.Errorf("panic: %v", p), "admission check failed; allowing",
					"kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "stack", string(debug.Stack()))
				ch <- allowUnchecked(ResultPanic, "zerodrop: internal error, allowed without a check")
			}
		}()
		ch <- fn(ctx, req)
	}()
	var a answer
	select {
	case a = <-ch:
	case <-ctx.Done():
		a = allowUnchecked(ResultTimeout, fmt.Sprintf("zerodrop: no answer within %s, allowed without a check", r.opts.Timeout))
	}
	r.opts.Metrics.observe(hook, req.Kind.Kind, a, time.Since(start))
	a.resp.UID = req.UID
	return a.resp
}

func allowUnchecked(result, warning string) answer {
	resp := admission.Allowed("")
	resp.Warnings = []string{warning}
	return answer{resp: resp, result: result}
}

func skipped(reason string) answer {
	return answer{resp: admission.Allowed(reason), result: ResultSkipped}
}

// validate answers with warnings, and denies errors when enforcing.
func (r *reviewer) validate(ctx context.Context, req admission.Request) answer {
	rv, a := r.review(ctx, req, r.opts.Check)
	if rv == nil {
		return a
	}
	var shown, errs []finding.Finding
	for _, f := range rv.findings {
		if rv.mode == ModeEnforce && f.Severity == finding.Error {
			errs = append(errs, f)
		} else if f.Severity >= r.opts.WarnOn {
			shown = append(shown, f)
		}
	}
	warnings := warningLines(shown, rv.ref, r.opts.MaxWarnings)
	if len(errs) > 0 {
		resp := admission.Denied(denyMessage(errs, rv.ref))
		resp.Warnings = warnings
		return answer{resp: resp, result: ResultDenied, findings: rv.findings}
	}
	resp := admission.Allowed("")
	resp.Warnings = warnings
	if len(warnings) == 0 {
		return answer{resp: resp, result: ResultClean, findings: rv.findings}
	}
	return answer{resp: resp, result: ResultWarned, findings: rv.findings}
}

// checked reports whether an operation is one the webhook looks at.
func checked(req admission.Request) bool {
	if req.SubResource != "" {
		return false
	}
	return req.Operation == admissionv1.Create || req.Operation == admissionv1.Update
}

// modeOf is the effective mode in a namespace with these labels.
func (r *reviewer) modeOf(labels map[string]string) string {
	switch strings.ToLower(strings.TrimSpace(labels[ModeLabel])) {
	case ModeOff, "disabled", "false":
		return ModeOff
	case ModeWarn, "enabled", "true":
		return ModeWarn
	case ModeEnforce:
		return ModeEnforce
	}
	switch {
	case r.opts.OptIn:
		return ModeOff
	case r.opts.Enforce:
		return ModeEnforce
	}
	return ModeWarn
}
