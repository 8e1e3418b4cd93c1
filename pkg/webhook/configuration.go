package webhook

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

// ValidatingRules are the admissions the validating handler judges, as the
// rules of a webhook configuration: CREATE and UPDATE of the objects (no
// subresource) of every kind of Kinds but the context kinds, one rule per
// group, version and scope, in the order of Kinds. The Helm chart's
// validating configuration sends exactly these (TestChartRules), and the
// live tests register them.
//
// Bare Pods are judged too when sent, but are not among these: a Pod that
// a controller owns was checked through the controller's template, and
// Pods are the most frequent writes of a cluster.
func ValidatingRules() []admissionregistrationv1.RuleWithOperations {
	var judged []Kind
	for _, k := range Kinds {
		if !k.Context {
			judged = append(judged, k)
		}
	}
	return rulesFor(judged)
}

// MutatingRules are the admissions the mutating handler changes: the
// workload kinds it knows how to patch.
func MutatingRules() []admissionregistrationv1.RuleWithOperations {
	var mutable []Kind
	for _, k := range Kinds {
		if _, ok := mutableKinds[k.Group+"/"+k.Kind]; ok {
			mutable = append(mutable, k)
		}
	}
	return rulesFor(mutable)
}

// rulesFor groups kinds into rules by group, version and scope.
func rulesFor(kinds []Kind) []admissionregistrationv1.RuleWithOperations {
	type key struct {
		group, version string
		scope          admissionregistrationv1.ScopeType
	}
	var out []admissionregistrationv1.RuleWithOperations
	at := map[key]int{}
	for _, k := range kinds {
		scope := admissionregistrationv1.ClusterScope
		if k.Namespaced {
			scope = admissionregistrationv1.NamespacedScope
		}
		kk := key{k.Group, k.Version, scope}
		i, ok := at[kk]
		if !ok {
			i = len(out)
			at[kk] = i
			out = append(out, admissionregistrationv1.RuleWithOperations{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{k.Group}, APIVersions: []string{k.Version}, Scope: &scope,
				},
			})
		}
		out[i].Resources = append(out[i].Resources, k.Resource)
	}
	return out
}
