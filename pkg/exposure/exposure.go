// Package exposure finds which AWS load balancer fronts which workloads, and
// with which effective settings: target type, health check, deregistration
// delay. An annotation on the Service wins over the same one on the Ingress;
// where neither sets a value, the controller's documented default applies.
package exposure

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/graph"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Controller names who reconciles the load balancer.
const (
	LBC    = "aws-load-balancer-controller"
	InTree = "in-tree"
)

// Annotation keys.
const (
	ALBPrefix         = "alb.ingress.kubernetes.io/"
	SvcPrefix         = "service.beta.kubernetes.io/"
	IngressClassAnno  = "kubernetes.io/ingress.class"
	LBTypeAnno        = SvcPrefix + "aws-load-balancer-type"
	NLBTargetTypeAnno = SvcPrefix + "aws-load-balancer-nlb-target-type"
	NLBTGAttrsAnno    = SvcPrefix + "aws-load-balancer-target-group-attributes"
	ALBTargetTypeAnno = ALBPrefix + "target-type"
	ALBTGAttrsAnno    = ALBPrefix + "target-group-attributes"
	LBCClass          = "service.k8s.aws/nlb"
	ALBController     = "ingress.k8s.aws/alb"
	GateLabel         = "elbv2.k8s.aws/pod-readiness-gate-inject"
	DeregAttr         = "deregistration_delay.timeout_seconds"
	// ConnTermAttr makes an NLB reset the flows still open on a target at
	// the end of its deregistration delay (off by default).
	ConnTermAttr = "deregistration_delay.connection_termination.enabled"
	// LBHintAnno lets a TargetGroupBinding say which LB its target group
	// belongs to (alb or nlb), since that lives in AWS, not in the cluster.
	LBHintAnno = "zerodrop.dev/load-balancer"
)

// Setting is a string setting with its provenance.
type Setting struct {
	Value  string        `json:"value"`
	Source timing.Source `json:"source"`
	Detail string        `json:"detail,omitempty"`
}

// Exposure is one workload set behind one AWS load balancer target group.
type Exposure struct {
	LB         timing.LB
	Controller string
	TargetType Setting
	// Front is the object that creates the load balancer or target group:
	// the Ingress, the Service (NLB/CLB) or the TargetGroupBinding.
	Front *inventory.Meta
	// Ingress is set for ALB exposures.
	Ingress *inventory.Ingress
	Service *inventory.Service
	// Port is the Service port the LB targets.
	Port      *corev1.ServicePort
	Workloads []*inventory.Workload
	// LocalTraffic is externalTrafficPolicy: Local.
	LocalTraffic bool

	Interval, Timeout, HealthyThreshold, UnhealthyThreshold timing.Value
	DeregistrationDelay                                     timing.Value
	// TGAttributes holds the parsed target-group-attributes annotation in
	// effect, and TGAttributesOn the object that carries it.
	TGAttributes   map[string]string
	TGAttributesOn *inventory.Meta
	// Notes are remarks about how the exposure was read.
	Notes []string
}

// Input returns what the timing model needs.
func (e *Exposure) Input() timing.Input {
	return timing.Input{LB: e.LB, TargetType: e.TargetType.Value, LocalTraffic: e.LocalTraffic,
		Interval: e.Interval, Timeout: e.Timeout, HealthyThreshold: e.HealthyThreshold,
		UnhealthyThreshold: e.UnhealthyThreshold, DeregistrationDelay: e.DeregistrationDelay}
}

// GateCapable reports whether the controller can inject a readiness gate
// for this exposure (controller-managed, ip targets).
func (e *Exposure) GateCapable() bool {
	return e.Controller == LBC && e.TargetType.Value == timing.TargetIP
}

// ConnectionTermination reports whether the target group resets the
// connections still open on a deregistered target when its deregistration
// delay ends (an NLB attribute; an ALB always ends them).
func (e *Exposure) ConnectionTermination() bool {
	return strings.EqualFold(strings.TrimSpace(e.TGAttributes[ConnTermAttr]), "true")
}

// Ports lists the Service ports the load balancer targets: its port, or
// every port of the Service when the port is not resolved.
func (e *Exposure) Ports() []*corev1.ServicePort {
	if e.Port != nil {
		return []*corev1.ServicePort{e.Port}
	}
	var out []*corev1.ServicePort
	if e.Service != nil {
		for i := range e.Service.Spec.Ports {
			out = append(out, &e.Service.Spec.Ports[i])
		}
	}
	return out
}

// NamespaceGated reports whether pods created in namespace get the
// controller's readiness gate (the namespace carries GateLabel=enabled);
// known is false when the namespace is not in the input.
func NamespaceGated(g *graph.Graph, namespace string) (gated, known bool) {
	ns := g.Namespace(namespace)
	if ns == nil {
		return false, false
	}
	return ns.Labels[GateLabel] == "enabled", true
}

// ELB limits for target-group health checks: the API refuses values outside
// them, and the controller's reconcile then fails.
const (
	MinInterval, MaxInterval   = 5, 300
	MinTimeout, MaxTimeout     = 2, 120
	MinThreshold, MaxThreshold = 2, 10
	// A Classic Load Balancer's health-check timeout stops at 60 s.
	MaxCLBTimeout = 60
)

// TimeoutMax is the longest health-check timeout the LB accepts.
func (e *Exposure) TimeoutMax() int64 {
	if e.LB == timing.CLB {
		return MaxCLBTimeout
	}
	return MaxTimeout
}

// RefusedHealthCheck lists the health-check values the ELB API refuses
// (only values written in annotations: defaults are valid). When it is not
// empty the controller cannot reconcile the target group, which keeps the
// targets it had.
func (e *Exposure) RefusedHealthCheck() []string {
	var bad []string
	chk := func(v timing.Value, lo, hi int64, unit string) {
		if v.Source == timing.FromAnnotation && (v.Seconds < lo || v.Seconds > hi) {
			bad = append(bad, fmt.Sprintf("%s %d is outside %d–%d%s", v.Name, v.Seconds, lo, hi, unit))
		}
	}
	chk(e.Interval, MinInterval, MaxInterval, " s")
	chk(e.Timeout, MinTimeout, e.TimeoutMax(), " s")
	chk(e.HealthyThreshold, MinThreshold, MaxThreshold, "")
	chk(e.UnhealthyThreshold, MinThreshold, MaxThreshold, "")
	// ALB and CLB want the timeout below the interval; an NLB accepts
	// them equal (the controller's own NLB default is 10 s and 10 s).
	if e.LB != timing.NLB && e.Timeout.Seconds >= e.Interval.Seconds {
		bad = append(bad, fmt.Sprintf("the timeout (%ds) must be less than the interval (%ds)", e.Timeout.Seconds, e.Interval.Seconds))
	}
	if e.LB == timing.NLB && e.Controller == InTree && e.HealthyThreshold.Seconds != e.UnhealthyThreshold.Seconds {
		bad = append(bad, fmt.Sprintf("the in-tree NLB needs equal healthy and unhealthy thresholds (%d ≠ %d)", e.HealthyThreshold.Seconds, e.UnhealthyThreshold.Seconds))
	}
	return bad
}

// Describe names the exposure for messages: "ALB (ip) via Ingress shop/web".
func (e *Exposure) Describe() string {
	return fmt.Sprintf("%s (%s targets) via %s", e.LB, e.TargetType.Value, e.Front.Ref)
}

// Find returns every exposure in the graph, in input order.
func Find(g *graph.Graph) []*Exposure {
	var out []*Exposure
	for _, ing := range g.Inv.Ingresses {
		if !isALB(g, ing) {
			continue
		}
		seen := map[string]bool{}
		for _, b := range ing.Backends() {
			svc := g.Service(ing.Namespace, b.Name)
			key := b.Name + ":" + b.Port.Name + strconv.Itoa(int(b.Port.Number))
			if svc == nil || seen[key] {
				continue
			}
			seen[key] = true
			var port *corev1.ServicePort
			if b.Port.Name != "" {
				port = servicePortByName(svc, b.Port.Name)
			} else {
				port = servicePortByNumber(svc, b.Port.Number)
			}
			out = append(out, albExposure(g, ing, svc, port))
		}
	}
	for _, svc := range g.Inv.Services {
		if e := serviceExposure(g, svc); e != nil {
			out = append(out, e)
		}
	}
	for _, tgb := range g.Inv.TargetGroupBindings {
		if e := tgbExposure(g, tgb); e != nil {
			out = append(out, e)
		}
	}
	return out
}

// isALB reports whether the AWS Load Balancer Controller reconciles ing.
func isALB(g *graph.Graph, ing *inventory.Ingress) bool {
	if c, ok := ing.Annotations[IngressClassAnno]; ok {
		return c == "alb"
	}
	if cn := ing.Spec.IngressClassName; cn != nil {
		if ic, ok := g.Inv.IngressClasses[*cn]; ok {
			return ic.Controller == ALBController
		}
		return *cn == "alb"
	}
	for _, ic := range g.Inv.IngressClasses {
		if ic.Default {
			return ic.Controller == ALBController
		}
	}
	return false
}

func servicePortByName(s *inventory.Service, name string) *corev1.ServicePort {
	for i := range s.Spec.Ports {
		if s.Spec.Ports[i].Name == name {
			return &s.Spec.Ports[i]
		}
	}
	return nil
}

func servicePortByNumber(s *inventory.Service, n int32) *corev1.ServicePort {
	for i := range s.Spec.Ports {
		if s.Spec.Ports[i].Port == n {
			return &s.Spec.Ports[i]
		}
	}
	return nil
}

// lookup finds an annotation on the Service first, then on the Ingress.
type lookup struct {
	objs []*inventory.Meta
}

func (l lookup) get(key string) (string, *inventory.Meta, bool) {
	for _, m := range l.objs {
		if m == nil {
			continue
		}
		if v, ok := m.Annotations[key]; ok {
			return v, m, true
		}
	}
	return "", nil, false
}

// seconds reads an integer annotation, falling back to a default.
func (l lookup) seconds(e *Exposure, name, key string, def int64, defDetail string) timing.Value {
	if v, on, ok := l.get(key); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err == nil {
			return timing.Value{Name: name, Seconds: n, Source: timing.FromAnnotation, Detail: key + " on " + on.Ref.String()}
		}
		e.Notes = append(e.Notes, fmt.Sprintf("%s on %s is %q, not a whole number; the default %d applies", key, on.Ref, v, def))
	}
	return timing.Value{Name: name, Seconds: def, Source: timing.FromDefault, Detail: defDetail}
}

func albExposure(g *graph.Graph, ing *inventory.Ingress, svc *inventory.Service, port *corev1.ServicePort) *Exposure {
	e := &Exposure{LB: timing.ALB, Controller: LBC, Front: &ing.Meta, Ingress: ing, Service: svc, Port: port,
		Workloads: g.ServiceWorkloads[svc]}
	l := lookup{objs: []*inventory.Meta{&svc.Meta, &ing.Meta}}
	e.TargetType = Setting{Value: timing.TargetInstance, Source: timing.FromDefault, Detail: "ALB default target type (controller flag --default-target-type)"}
	if v, on, ok := l.get(ALBTargetTypeAnno); ok {
		e.TargetType = Setting{Value: strings.TrimSpace(v), Source: timing.FromAnnotation, Detail: ALBTargetTypeAnno + " on " + on.Ref.String()}
	}
	if cn := ing.Spec.IngressClassName; cn != nil {
		if ic := g.Inv.IngressClasses[*cn]; ic != nil && ic.ParamsName != "" {
			if p := g.Inv.IngressClassParams[ic.ParamsName]; p != nil && p.TargetType != "" {
				e.TargetType = Setting{Value: p.TargetType, Source: timing.FromManifest, Detail: "spec.targetType of IngressClassParams " + p.Name + " (overrides the annotation)"}
			}
		}
	}
	const d = "AWS Load Balancer Controller default for ALB target groups"
	e.Interval = l.seconds(e, "health check interval", ALBPrefix+"healthcheck-interval-seconds", 15, d)
	e.Timeout = l.seconds(e, "health check timeout", ALBPrefix+"healthcheck-timeout-seconds", 5, d)
	e.HealthyThreshold = l.seconds(e, "healthy threshold", ALBPrefix+"healthy-threshold-count", 2, d)
	e.UnhealthyThreshold = l.seconds(e, "unhealthy threshold", ALBPrefix+"unhealthy-threshold-count", 2, d)
	e.readAttributes(l, ALBTGAttrsAnno)
	return e
}

func (e *Exposure) readAttributes(l lookup, key string) {
	e.DeregistrationDelay = timing.Value{Name: "deregistration delay", Seconds: 300, Source: timing.FromDefault, Detail: "AWS target group default (deregistration_delay.timeout_seconds)"}
	v, on, ok := l.get(key)
	if !ok {
		return
	}
	e.TGAttributes = ParseAttributes(v)
	e.TGAttributesOn = on
	if s, ok := e.TGAttributes[DeregAttr]; ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			e.Notes = append(e.Notes, fmt.Sprintf("%s=%q in %s on %s is not a whole number", DeregAttr, s, key, on.Ref))
			return
		}
		e.DeregistrationDelay = timing.Value{Name: "deregistration delay", Seconds: n, Source: timing.FromAnnotation, Detail: key + " on " + on.Ref.String()}
	}
}

// ParseAttributes reads a "k=v,k=v" attribute list.
func ParseAttributes(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && k != "" {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// FormatAttributes writes attributes back in a stable order, keeping the
// order of the keys already in orig.
func FormatAttributes(orig string, attrs map[string]string) string {
	var keys []string
	seen := map[string]bool{}
	for _, kv := range strings.Split(orig, ",") {
		k, _, ok := strings.Cut(strings.TrimSpace(kv), "=")
		k = strings.TrimSpace(k)
		if ok && k != "" && !seen[k] {
			if _, keep := attrs[k]; keep {
				keys = append(keys, k)
				seen[k] = true
			}
		}
	}
	var rest []string
	for k := range attrs {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + attrs[k]
	}
	return strings.Join(parts, ",")
}

func serviceExposure(g *graph.Graph, svc *inventory.Service) *Exposure {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return nil
	}
	e := &Exposure{Front: &svc.Meta, Service: svc, Workloads: g.ServiceWorkloads[svc],
		LocalTraffic: svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal}
	if len(svc.Spec.Ports) > 0 {
		e.Port = &svc.Spec.Ports[0]
	}
	// The controllers compare these values exactly: "IP" is not "ip".
	lbType := strings.TrimSpace(svc.Annotations[LBTypeAnno])
	tt, hasTT := svc.Annotations[NLBTargetTypeAnno]
	tt = strings.TrimSpace(tt)
	ttSetting := Setting{Value: tt, Source: timing.FromAnnotation, Detail: NLBTargetTypeAnno + " on " + svc.Ref.String()}
	switch {
	case svc.Spec.LoadBalancerClass != nil && *svc.Spec.LoadBalancerClass == LBCClass:
		e.LB, e.Controller = timing.NLB, LBC
		e.TargetType = Setting{Value: timing.TargetInstance, Source: timing.FromDefault, Detail: "NLB default target type with loadBalancerClass (controller flag --default-target-type)"}
		if hasTT && (tt == timing.TargetIP || tt == timing.TargetInstance) {
			e.TargetType = ttSetting
		}
	case svc.Spec.LoadBalancerClass != nil:
		return nil // another controller's class: not an AWS load balancer
	case lbType == "nlb-ip":
		e.LB, e.Controller = timing.NLB, LBC
		e.TargetType = Setting{Value: timing.TargetIP, Source: timing.FromAnnotation, Detail: LBTypeAnno + ": nlb-ip on " + svc.Ref.String() + " (deprecated form of external + ip)"}
	case lbType == "external":
		if !hasTT || (tt != timing.TargetIP && tt != timing.TargetInstance) {
			return nil // neither controller reconciles it; reported by ZD001
		}
		e.LB, e.Controller, e.TargetType = timing.NLB, LBC, ttSetting
	case lbType == "nlb":
		e.LB, e.Controller = timing.NLB, InTree
		e.TargetType = Setting{Value: timing.TargetInstance, Source: timing.FromDefault, Detail: "the in-tree NLB supports instance targets only"}
	default:
		e.LB, e.Controller = timing.CLB, InTree
		e.TargetType = Setting{Value: timing.TargetInstance, Source: timing.FromDefault, Detail: "type LoadBalancer without aws-load-balancer-type makes an in-tree Classic Load Balancer (instance targets)"}
	}
	l := lookup{objs: []*inventory.Meta{&svc.Meta}}
	switch {
	case e.LB == timing.CLB:
		const d = "in-tree Classic Load Balancer default"
		e.Interval = l.seconds(e, "health check interval", SvcPrefix+"aws-load-balancer-healthcheck-interval", 10, d)
		e.Timeout = l.seconds(e, "health check timeout", SvcPrefix+"aws-load-balancer-healthcheck-timeout", 5, d)
		e.HealthyThreshold = l.seconds(e, "healthy threshold", SvcPrefix+"aws-load-balancer-healthcheck-healthy-threshold", 2, d)
		e.UnhealthyThreshold = l.seconds(e, "unhealthy threshold", SvcPrefix+"aws-load-balancer-healthcheck-unhealthy-threshold", 6, d)
		e.DeregistrationDelay = timing.Value{Name: "connection draining", Seconds: 0, Source: timing.FromDefault, Detail: "the in-tree controller creates CLBs with connection draining disabled"}
		if strings.EqualFold(svc.Annotations[SvcPrefix+"aws-load-balancer-connection-draining-enabled"], "true") {
			e.DeregistrationDelay = l.seconds(e, "connection draining", SvcPrefix+"aws-load-balancer-connection-draining-timeout", 300, "AWS CLB default draining timeout")
		}
		return e
	case e.Controller == InTree:
		d, iv, to, th := "in-tree NLB default", int64(30), int64(10), int64(3)
		if e.LocalTraffic {
			d, iv, th = "in-tree NLB default with externalTrafficPolicy: Local", 10, 2
		}
		e.Interval = l.seconds(e, "health check interval", SvcPrefix+"aws-load-balancer-healthcheck-interval", iv, d)
		e.Timeout = l.seconds(e, "health check timeout", SvcPrefix+"aws-load-balancer-healthcheck-timeout", to, d)
		e.HealthyThreshold = l.seconds(e, "healthy threshold", SvcPrefix+"aws-load-balancer-healthcheck-healthy-threshold", th, d)
		e.UnhealthyThreshold = l.seconds(e, "unhealthy threshold", SvcPrefix+"aws-load-balancer-healthcheck-unhealthy-threshold", th, d)
		e.DeregistrationDelay = timing.Value{Name: "deregistration delay", Seconds: 300, Source: timing.FromDefault, Detail: "the in-tree NLB cannot set the deregistration delay; the AWS default applies"}
		return e
	}
	d, iv, to, th := "AWS Load Balancer Controller default for NLB target groups", int64(10), int64(10), int64(3)
	if e.LocalTraffic && e.TargetType.Value == timing.TargetInstance {
		d, to, th = "AWS Load Balancer Controller default for NLB instance targets with externalTrafficPolicy: Local", 6, 2
	}
	e.Interval = l.seconds(e, "health check interval", SvcPrefix+"aws-load-balancer-healthcheck-interval", iv, d)
	e.Timeout = l.seconds(e, "health check timeout", SvcPrefix+"aws-load-balancer-healthcheck-timeout", to, d)
	e.HealthyThreshold = l.seconds(e, "healthy threshold", SvcPrefix+"aws-load-balancer-healthcheck-healthy-threshold", th, d)
	e.UnhealthyThreshold = l.seconds(e, "unhealthy threshold", SvcPrefix+"aws-load-balancer-healthcheck-unhealthy-threshold", th, d)
	e.readAttributes(l, NLBTGAttrsAnno)
	return e
}

func tgbExposure(g *graph.Graph, tgb *inventory.TargetGroupBinding) *Exposure {
	svc := g.Service(tgb.Namespace, tgb.ServiceName)
	if svc == nil {
		return nil
	}
	e := &Exposure{LB: timing.NLB, Controller: LBC, Front: &tgb.Meta, Service: svc, Workloads: g.ServiceWorkloads[svc]}
	switch strings.ToLower(tgb.Annotations[LBHintAnno]) {
	case "alb":
		e.LB = timing.ALB
	case "nlb":
	default:
		e.Notes = append(e.Notes, "the target group's load balancer is not in the cluster; NLB timing is assumed (annotate the TargetGroupBinding "+LBHintAnno+": alb to use ALB timing)")
	}
	if tgb.ServicePort.Type == intstr.String {
		e.Port = servicePortByName(svc, tgb.ServicePort.StrVal)
	} else {
		e.Port = servicePortByNumber(svc, tgb.ServicePort.IntVal)
	}
	e.TargetType = Setting{Value: tgb.TargetType, Source: timing.FromManifest, Detail: "spec.targetType of " + tgb.Ref.String()}
	if tgb.TargetType == "" {
		e.TargetType = Setting{Value: timing.TargetIP, Source: timing.FromDefault, Detail: "spec.targetType unset: the controller reads it from AWS; ip assumed"}
	}
	const d = "a target group made outside the cluster: AWS API default"
	e.Interval = timing.Value{Name: "health check interval", Seconds: 30, Source: timing.FromDefault, Detail: d}
	e.Timeout = timing.Value{Name: "health check timeout", Seconds: 5, Source: timing.FromDefault, Detail: d}
	e.HealthyThreshold = timing.Value{Name: "healthy threshold", Seconds: 5, Source: timing.FromDefault, Detail: d}
	e.UnhealthyThreshold = timing.Value{Name: "unhealthy threshold", Seconds: 2, Source: timing.FromDefault, Detail: d}
	e.DeregistrationDelay = timing.Value{Name: "deregistration delay", Seconds: 300, Source: timing.FromDefault, Detail: "set in AWS for a target group you bring; AWS default assumed"}
	return e
}
