// Package audit runs zerodrop's checks against a live cluster: it lists the
// objects the rules need (read-only, paginated, a timeout per call), feeds
// them to the same pipeline as `check`, and adds what only a cluster can
// show: pods that lack the readiness gate because they predate the label,
// gates stuck False, the server version, the AWS Load Balancer Controller's
// presence and webhook failure policy, and EndpointSlice sizes.
package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/kubeversion"
	"github.com/zerodrop/zerodrop/pkg/load"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// Options configure an audit.
type Options struct {
	// Namespace limits the audit to one namespace; empty with
	// AllNamespaces lists every namespace. With a namespace, the audit
	// needs no cluster-wide permission: it gets that Namespace, lists in
	// it, and notes the cluster-scoped or optional kinds it may not read.
	Namespace     string
	AllNamespaces bool
	// Timeout bounds the whole audit (default 30 s); CallTimeout each API
	// call (default 20 s).
	Timeout     time.Duration
	CallTimeout time.Duration
	// PageSize is the list page size (default 500).
	PageSize int64
	// Source names the cluster in positions ("cluster" by default; the
	// context name reads better).
	Source string
	// Cluster describes the cluster and credentials, for the error that
	// ends an audit that cannot reach it.
	Cluster Cluster
	// Check carries the rule settings (fail-on, profile, re-grading). Its
	// KubeVersion, when zero, comes from the server.
	Check check.Options
	// Now is the clock for "stuck for long" (tests set it).
	Now func() time.Time
	// StuckAfter is how long a gate may stay False, or unset after the
	// pod started, before it is reported.
	StuckAfter time.Duration
	// Progress, when set, hears how many of the kinds to list (pods and
	// EndpointSlices included) are done. The CLI draws a bar from it on a
	// terminal.
	Progress func(done, total int)
}

// Clients are what the audit reads through.
type Clients struct {
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
}

// resource is one kind the audit lists.
type resource struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
	// optional kinds (CRDs) may not exist; a 404 is not an error.
	optional bool
}

var resources = []resource{
	{schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "Namespace", false, false},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "Deployment", true, false},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, "StatefulSet", true, false},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}, "DaemonSet", true, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "services"}, "Service", true, false},
	{schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}, "Ingress", true, false},
	{schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingressclasses"}, "IngressClass", false, false},
	{schema.GroupVersionResource{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"}, "PodDisruptionBudget", true, false},
	// An autoscaler sets its workload's replica range (graph.Replicas).
	{schema.GroupVersionResource{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"}, "HorizontalPodAutoscaler", true, false},
	{schema.GroupVersionResource{Group: "elbv2.k8s.aws", Version: "v1beta1", Resource: "targetgroupbindings"}, "TargetGroupBinding", true, true},
	{schema.GroupVersionResource{Group: "elbv2.k8s.aws", Version: "v1beta1", Resource: "ingressclassparams"}, "IngressClassParams", false, true},
	{schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}, "Rollout", true, true},
}

var (
	podsGVR      = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	slicesGVR    = schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}
	webhooksGVR  = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"}
	deploysGVR   = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	lbcNameLabel = "app.kubernetes.io/name=aws-load-balancer-controller"
)

// Run audits the cluster. The first failure to reach it (connection, TLS,
// credentials, no answer within the timeouts) ends the audit with one
// ConnectionError saying which cluster, why and what to do. Otherwise it
// returns a result: calls that fail on their own (forbidden, say) are input
// errors naming the call, kinds that are optional or cluster-scoped and not
// installed or not readable are notes, and everything read is checked.
func Run(ctx context.Context, c Clients, opts Options) (*check.Result, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 20 * time.Second
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	if opts.Source == "" {
		opts.Source = "cluster"
	}
	if opts.Cluster.Name == "" {
		opts.Cluster.Name = strings.TrimPrefix(opts.Source, "cluster ")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StuckAfter <= 0 {
		opts.StuckAfter = 5 * time.Minute
	}
	if err := opts.Cluster.CheckCredentials(opts.Now()); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	a := &auditor{c: c, opts: opts, lr: &load.Result{}}
	ns := opts.Namespace
	if opts.AllNamespaces {
		ns = ""
	}
	a.ns = ns

	// The server's version first: the cheapest call tells whether the
	// cluster answers at all.
	var notes []string
	v, err := a.serverVersion(ctx)
	if a.fatalErr(err) {
		return nil, a.fatal
	}
	switch {
	case opts.Check.KubeVersion.Major != 0:
	case err != nil:
		a.fail("server version", err)
	default:
		opts.Check.KubeVersion = v
		notes = append(notes, fmt.Sprintf("Kubernetes %s (from the API server)", v))
	}
	if ns != "" {
		// One namespace: get it, never list them all.
		u, err := a.get(ctx, resources[0].gvr, ns)
		switch {
		case a.fatalErr(err):
			return nil, a.fatal
		case apierrors.IsNotFound(err):
			a.fail("namespace "+ns, fmt.Errorf("not found"))
		case apierrors.IsForbidden(err):
			notes = append(notes, fmt.Sprintf("Namespace %s not readable with these permissions (get namespaces/%s): its labels (readiness-gate injection) are not known", ns, ns))
		case err != nil:
			a.fail("get namespace "+ns, err)
		default:
			a.add(u, "Namespace")
		}
	}
	steps := len(resources) + 2 // and pods, EndpointSlices
	for i, r := range resources {
		a.progress(i, steps)
		if r.kind == "Namespace" && ns != "" {
			continue
		}
		listNS := ns
		if !r.namespaced {
			listNS = ""
		}
		if r.optional {
			// A narrow role is refused a kind whether or not it exists:
			// discovery (open to every user) tells which.
			served, err := a.served(ctx, r)
			if a.fatalErr(err) {
				return nil, a.fatal
			}
			if err == nil && !served {
				notes = append(notes, fmt.Sprintf("%s not installed: not read", resourceName(r)))
				continue
			}
		}
		items, err := a.list(ctx, r.gvr, listNS, "")
		if a.fatalErr(err) {
			return nil, a.fatal
		}
		if err != nil {
			switch {
			case r.optional && apierrors.IsNotFound(err):
				notes = append(notes, fmt.Sprintf("%s not installed: not read", resourceName(r)))
				continue
			case (r.optional || (!r.namespaced && ns != "")) && apierrors.IsForbidden(err):
				scope := inNS(listNS)
				if !r.namespaced {
					scope = ", cluster-scoped"
				}
				notes = append(notes, fmt.Sprintf("%s not readable with these permissions (list%s): not read", resourceName(r), scope))
				continue
			}
			a.fail("list "+r.gvr.Resource+inNS(listNS), err)
			continue
		}
		for i := range items {
			a.add(&items[i], r.kind)
		}
	}
	a.progress(len(resources), steps)
	pods, err := a.list(ctx, podsGVR, ns, "")
	if a.fatalErr(err) {
		return nil, a.fatal
	}
	if err != nil {
		a.fail("list pods"+inNS(ns), err)
	}
	for i := range pods {
		if len(pods[i].GetOwnerReferences()) == 0 {
			a.add(&pods[i], "Pod") // bare pods are workloads of their own
		}
	}
	a.progress(len(resources)+1, steps)
	slices, err := a.list(ctx, slicesGVR, ns, "")
	if a.fatalErr(err) {
		return nil, a.fatal
	}
	a.progress(steps, steps)
	if err != nil {
		a.fail("list endpointslices"+inNS(ns), err)
	}

	live := &liveChecks{a: a, pods: pods, slices: slices}
	live.readController(ctx)
	if a.fatal != nil {
		return nil, a.fatal
	}
	res := check.AnalyzeWith(a.lr, opts.Check, live.findings)
	res.Assumptions = append(append(notes, live.notes...), res.Assumptions...)
	res.Errors = append(res.Errors, a.errors...)
	check.Tally(res, opts.Check.FailOn)
	return res, nil
}

// resourceName names a resource as kubectl does: "targetgroupbindings.elbv2.k8s.aws".
func resourceName(r resource) string {
	if r.gvr.Group == "" {
		return r.gvr.Resource
	}
	return r.gvr.Resource + "." + r.gvr.Group
}

type auditor struct {
	c      Clients
	opts   Options
	ns     string
	lr     *load.Result
	errors []check.InputError
	// fatal is the first failure to reach the cluster; no call is made
	// after it.
	fatal *ConnectionError
}

// fatalErr records err as the audit's end when it means the cluster cannot
// be reached, and reports whether the audit has ended.
func (a *auditor) fatalErr(err error) bool {
	if a.fatal != nil {
		return true
	}
	if ce := connectionError(a.opts.Cluster, err, a.waited()); ce != nil {
		a.fatal = ce
		return true
	}
	return false
}

// waited is the wait that ran out when a call got no answer.
func (a *auditor) waited() time.Duration {
	return min(a.opts.CallTimeout, a.opts.Timeout)
}

func (a *auditor) fail(what string, err error) {
	a.errors = append(a.errors, check.InputError{File: a.opts.Source, Message: fmt.Sprintf("%s: %v", what, err)})
}

func inNS(ns string) string {
	if ns == "" {
		return " (all namespaces)"
	}
	return " in " + ns
}

func (a *auditor) serverVersion(ctx context.Context) (kubeversion.Version, error) {
	if a.c.Discovery == nil {
		return kubeversion.Version{}, fmt.Errorf("no discovery client")
	}
	type res struct {
		v   kubeversion.Version
		err error
	}
	ch := make(chan res, 1)
	go func() {
		info, err := a.c.Discovery.ServerVersion()
		if err != nil {
			ch <- res{err: err}
			return
		}
		v, err := kubeversion.FromServer(info.Major, info.Minor)
		ch <- res{v: v, err: err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(a.opts.CallTimeout):
		return kubeversion.Version{}, fmt.Errorf("server version: %w", context.DeadlineExceeded)
	case <-ctx.Done():
		return kubeversion.Version{}, ctx.Err()
	}
}

// served reports whether the cluster serves an optional kind, from
// discovery, under the call timeout.
func (a *auditor) served(ctx context.Context, r resource) (bool, error) {
	if a.c.Discovery == nil {
		return true, nil
	}
	type res struct {
		ok  bool
		err error
	}
	ch := make(chan res, 1)
	go func() {
		list, err := a.c.Discovery.ServerResourcesForGroupVersion(r.gvr.GroupVersion().String())
		if apierrors.IsNotFound(err) {
			ch <- res{}
			return
		}
		if err != nil {
			ch <- res{err: err}
			return
		}
		for _, x := range list.APIResources {
			if x.Name == r.gvr.Resource {
				ch <- res{ok: true}
				return
			}
		}
		ch <- res{}
	}()
	select {
	case x := <-ch:
		return x.ok, x.err
	case <-time.After(a.opts.CallTimeout):
		return false, fmt.Errorf("discovery: %w", context.DeadlineExceeded)
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// get reads one cluster-scoped object under the call timeout.
func (a *auditor) get(ctx context.Context, gvr schema.GroupVersionResource, name string) (*unstructured.Unstructured, error) {
	if a.fatal != nil {
		return nil, a.fatal
	}
	cctx, cancel := context.WithTimeout(ctx, a.opts.CallTimeout)
	defer cancel()
	return a.c.Dynamic.Resource(gvr).Get(cctx, name, metav1.GetOptions{})
}

// list reads every page of a resource, each call under the call timeout.
// progress reports to opts.Progress when it is set.
func (a *auditor) progress(done, total int) {
	if a.opts.Progress != nil {
		a.opts.Progress(done, total)
	}
}

func (a *auditor) list(ctx context.Context, gvr schema.GroupVersionResource, ns, selector string) ([]unstructured.Unstructured, error) {
	if a.fatal != nil {
		return nil, a.fatal
	}
	var out []unstructured.Unstructured
	cont := ""
	for {
		cctx, cancel := context.WithTimeout(ctx, a.opts.CallTimeout)
		var ri dynamic.ResourceInterface = a.c.Dynamic.Resource(gvr)
		if ns != "" {
			ri = a.c.Dynamic.Resource(gvr).Namespace(ns)
		}
		l, err := ri.List(cctx, metav1.ListOptions{Limit: a.opts.PageSize, Continue: cont, LabelSelector: selector})
		cancel()
		if err != nil {
			return out, err
		}
		out = append(out, l.Items...)
		cont = l.GetContinue()
		if cont == "" {
			return out, nil
		}
	}
}

// add turns a listed object into a loaded object, as if read from a file
// named after the cluster.
func (a *auditor) add(u *unstructured.Unstructured, kind string) {
	obj := u.DeepCopy().Object
	if obj["kind"] == nil {
		obj["kind"] = kind
	}
	a.lr.Objects = append(a.lr.Objects, load.FromAPI(obj, a.opts.Source))
}
