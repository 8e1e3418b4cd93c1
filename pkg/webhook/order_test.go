package webhook

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// permutations calls fn with every order of n items.
func permutations(n int, fn func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			fn(append([]int(nil), p...))
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

// The same change applied in every order reports the same findings: each
// part is reviewed against the cluster holding the parts before it. The
// review of the part that arrives last reports what a review of the
// workload in the finished change reports, whichever part that is, and no
// finding of the finished change is missed in any order. (A part arriving
// early may see findings that are true only until the rest arrives, such
// as a workload exposed before its budget exists.)
func TestSameWarningsInEveryOrder(t *testing.T) {
	binding := obj(t, `
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: web-nlb, namespace: shop}
spec:
  serviceRef: {name: web, port: 80}
  targetGroupARN: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef
  targetType: ip
`)
	parts := []*unstructured.Unstructured{obj(t, deploymentYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML), binding}
	base := func() *StaticSource {
		return cluster(t, obj(t, namespaceYAML), obj(t, "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: alb}\nspec: {controller: ingress.k8s.aws/alb}\n"))
	}
	reviewed := func(src Source, u *unstructured.Unstructured) []string {
		r := newReviewer(src, testOptions())
		rv, a := r.review(context.Background(), request(t, admissionv1.Create, u, nil), r.opts.Check)
		if rv == nil {
			t.Fatalf("%s: not reviewed: %+v", u.GetKind(), a.resp)
		}
		var out []string
		for _, f := range rv.findings {
			out = append(out, fmt.Sprintf("%s %s %s/%s", f.Rule, f.Severity, f.Object.Kind, f.Object.Name))
		}
		sort.Strings(out)
		return out
	}
	// The reference: the workload reviewed with the rest of the change in
	// place.
	src := base()
	for _, u := range parts[1:] {
		src.Add(u)
	}
	full := reviewed(src, parts[0])
	// The workload's own findings, and those on the fronts exposing it.
	for _, must := range [][2]string{{"ZD003", "Deployment/web"}, {"ZD004", "Deployment/web"}, {"ZD008", "Ingress/web"}, {"ZD008", "TargetGroupBinding/web-nlb"}} {
		if !slices.ContainsFunc(full, func(f string) bool { return strings.HasPrefix(f, must[0]+" ") && strings.HasSuffix(f, " "+must[1]) }) {
			t.Errorf("the finished change lacks %s on %s:\n%s", must[0], must[1], strings.Join(full, "\n"))
		}
	}
	orders := 0
	permutations(len(parts), func(order []int) {
		orders++
		src := base()
		seen := map[string]bool{}
		var names, last []string
		for _, i := range order {
			u := parts[i]
			names = append(names, u.GetKind())
			last = reviewed(src, u)
			for _, f := range last {
				seen[f] = true
			}
			src.Add(u)
		}
		if strings.Join(last, "\n") != strings.Join(full, "\n") {
			t.Errorf("order %v: the last review reports\n%s\nthe workload's review of the finished change reports\n%s", names, strings.Join(last, "\n"), strings.Join(full, "\n"))
		}
		for _, f := range full {
			if !seen[f] {
				t.Errorf("order %v: %s never reported", names, f)
			}
		}
	})
	if orders != 120 {
		t.Fatalf("%d orders tried", orders)
	}
}
