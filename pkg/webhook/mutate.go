package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/rules"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// mutatingRules are the rules whose patches the mutating handler applies
// (Rule.Mutates: the preStop delay and the grace period). Never probes,
// never anything else.
var mutatingRules = func() []string {
	var ids []string
	for _, r := range rules.All() {
		if r.Mutates {
			ids = append(ids, r.ID)
		}
	}
	return ids
}()

// mutableKinds are the kinds the mutating handler changes, with the typed
// struct that tells the strategic merge how to merge containers.
var mutableKinds = map[string]any{
	"apps/Deployment":  appsv1.Deployment{},
	"apps/StatefulSet": appsv1.StatefulSet{},
	"apps/DaemonSet":   appsv1.DaemonSet{},
}

// allowedPatchPath is every JSON pointer the mutating handler may touch.
var allowedPatchPath = regexp.MustCompile(`^/spec/template/spec/(terminationGracePeriodSeconds|containers/[0-9]+/lifecycle(/preStop(/.*)?)?)$`)

var jsonPatchType = admissionv1.PatchTypeJSONPatch

// maxRounds bounds re-checking a mutated object: a longer preStop can ask
// for a longer grace period, which is found on the next round.
const maxRounds = 3

// mutate adds what the mutating rules (ZD003 and ZD004) would add, and
// nothing else.
func (r *reviewer) mutate(ctx context.Context, req admission.Request) answer {
	if !checked(req) {
		return skipped("operation not mutated")
	}
	dataStruct, ok := mutableKinds[req.Kind.Group+"/"+req.Kind.Kind]
	if !ok {
		return skipped("kind not mutated")
	}
	opts := r.opts.Check
	opts.Only = map[string]bool{}
	for _, id := range mutatingRules {
		if r.opts.Check.Only == nil || r.opts.Check.Only[id] {
			opts.Only[id] = true
		}
	}
	if len(opts.Only) == 0 {
		return skipped("rules not enabled")
	}
	original := req.Object.Raw
	current := original
	var applied []string
	for round := 0; round < maxRounds; round++ {
		sub := req
		sub.Object.Raw = current
		rv, a := r.review(ctx, sub, opts)
		if rv == nil {
			if round == 0 {
				return a
			}
			break
		}
		if round == 0 && strings.EqualFold(rv.nsLabels[MutateLabel], ModeOff) {
			return skipped("namespace not mutated")
		}
		var patches []*finding.Finding
		for i := range rv.findings {
			f := &rv.findings[i]
			if f.Patch == nil || f.Patch.Merge == nil || f.Severity < finding.Warning || !sameObject(f.Patch.Target, rv.ref) {
				continue
			}
			patches = append(patches, f)
		}
		if len(patches) == 0 {
			break
		}
		for _, f := range patches {
			body, err := json.Marshal(f.Patch.Merge)
			if err != nil {
				return r.mutateFailed(err)
			}
			next, err := strategicpatch.StrategicMergePatch(current, body, dataStruct)
			if err != nil {
				return r.mutateFailed(err)
			}
			current = next
			applied = append(applied, fmt.Sprintf("zerodrop set %s (%s)", f.Patch.What, f.Rule))
		}
	}
	if len(applied) == 0 {
		return answer{resp: admission.Allowed(""), result: ResultClean}
	}
	ops, err := jsonPatch(original, current)
	if err != nil {
		return r.mutateFailed(fmt.Errorf("patch: %w", err))
	}
	for _, op := range ops {
		if !allowedPatchPath.MatchString(op.Path) {
			return r.mutateFailed(fmt.Errorf("patch would change %s", op.Path))
		}
	}
	if len(ops) == 0 {
		return answer{resp: admission.Allowed(""), result: ResultClean}
	}
	// controller-runtime marshals the operations into the answer's patch.
	resp := admission.Allowed("")
	resp.Patches = ops
	resp.PatchType = &jsonPatchType
	for i, w := range applied {
		applied[i] = clip(w, MaxWarningLength)
	}
	resp.Warnings = applied
	return answer{resp: resp, result: ResultPatched}
}

func (r *reviewer) mutateFailed(err error) answer {
	r.opts.Log.Error(err, "mutation not applied; allowing unchanged")
	return allowUnchecked(ResultError, "zerodrop: preStop/grace not added (internal error), allowed unchanged")
}
