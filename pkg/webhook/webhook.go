// Package webhook runs zerodrop's rules at admission: a validating handler
// that answers with short admission warnings (and, when enforcing, denies
// objects with error findings) and an optional mutating handler that adds
// only a preStop delay and a grace period long enough for it.
//
// An admitted object is checked together with the objects related to it,
// read from the webhook's model of the cluster (informers, indexed by
// relation; see InformerSource): the workloads it runs or exposes, the
// Services selecting them, the Ingresses and bindings routing to those,
// their budgets, the IngressClasses and the Namespace. The cost of a review
// follows those relations, not the size of the namespace. The findings on
// the admitted object and on those workloads and their fronts are
// reported, whichever part of a change is admitted, so the warnings of a
// change do not depend on the order of its parts, and no replica keeps
// state of its own that changes an answer.
//
// The handlers never stand in the way when they cannot answer: a review
// that does not finish within Options.Timeout (it is then stopped), one
// more than Options.MaxInFlight at once (shed), a panic, an unreadable
// object or model all end in "allowed", with a warning saying so.
package webhook

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/timing"
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

// DefaultMaxInFlight is the default bound of reviews in flight: a review
// is CPU work of well under a millisecond, so more at once than a few per
// core only wait for a core; 16 per core absorbs bursts without letting a
// queue build up to the deadline.
func DefaultMaxInFlight() int { return 16 * runtime.GOMAXPROCS(0) }

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
	// Timeout bounds one admission (default DefaultTimeout): keep it below
	// the webhook configuration's timeoutSeconds.
	Timeout time.Duration
	// MaxInFlight bounds the reviews of one handler running at once; one
	// more is shed: allowed at once with a warning that it was not checked
	// (default DefaultMaxInFlight).
	MaxInFlight int
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
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight()
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
	if o.Check.Timing == nil {
		// Built once, not on every review: the preset table is a few
		// kilobytes that every review would otherwise allocate and drop.
		o.Check.Timing = timing.Default()
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
	ResultShed    = "shed"    // allowed unchecked: too many reviews in flight
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
//
// Work is bounded twice. A review needs a free slot (Options.MaxInFlight);
// when none is free the review is shed at once, allowed with a warning
// that it was not checked, instead of waiting behind the others: at
// overload the answers stay fast and the memory flat. And a review runs
// under a context that ends at Options.Timeout: the handler answers then,
// and the review stops at its next step (it checks the context between
// lookups and between rules); its slot is freed only when it has stopped,
// so late work still counts against the bound.
func (r *reviewer) guard(ctx context.Context, req admission.Request, hook string, fn func(context.Context, admission.Request) answer) admission.Response {
	start := time.Now()
	var a answer
	select {
	case r.slots <- struct{}{}:
		a = r.run(ctx, req, hook, fn)
	default:
		a = allowUnchecked(ResultShed, "zerodrop: too many reviews at once, allowed without a check")
		r.opts.Log.V(1).Info("review shed", "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name)
	}
	r.opts.Metrics.observe(hook, req.Kind.Kind, a, time.Since(start))
	a.resp.UID = req.UID
	return a.resp
}

// run runs fn in a slot taken by guard, which it frees when fn returns.
func (r *reviewer) run(ctx context.Context, req admission.Request, hook string, fn func(context.Context, admission.Request) answer) answer {
	// The context is cancelled when run returns, not when fn does: were fn
	// to cancel it on return, the select below could see the cancellation
	// and the answer at once and pick the cancellation.
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	ch := make(chan answer, 1)
	go func() {
		defer func() { <-r.slots }()
		defer func() {
			if p := recover(); p != nil {
				r.opts.Log.Error(fmt.Errorf("panic: %v", p), "admission check failed; allowing",
					"webhook", hook, "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "stack", string(debug.Stack()))
				ch <- allowUnchecked(ResultPanic, "zerodrop: internal error, allowed without a check")
			}
		}()
		ch <- fn(ctx, req)
	}()
	select {
	case a := <-ch:
		return a
	case <-ctx.Done():
		return r.late()
	}
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
	// Warnings never show a fix: the rules need not build the patches.
	opts := r.opts.Check
	opts.DropPatches = true
	rv, a := r.review(ctx, req, opts)
	if rv == nil {
		return a
	}
	// Copies the warnings sort, with room for every finding at once.
	shown := make([]finding.Finding, 0, len(rv.findings))
	var errs []finding.Finding
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
