// Package benchgen writes large, synthetic but realistic streams of
// Kubernetes manifests, for benchmarks of zerodrop on inputs the size of a
// busy cluster. The bench/gen command and the Go benchmarks share it.
//
// The stream holds Namespaces, Deployments, Services, PodDisruptionBudgets,
// one IngressClass and Ingresses. Objects refer to each other the way real
// ones do: every Service selects a Deployment in its namespace, every PDB
// selects a Deployment, every Ingress routes to Services in its namespace.
// The settings vary (probes or none, preStop or none, target types, load
// balancer kinds, disruption budgets), so a checker finds a realistic mix of
// clean and risky workloads. The same counts and seed always give the same
// bytes.
package benchgen

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// Counts says how many objects of each kind to write.
type Counts struct {
	Namespaces, Deployments, Services, PDBs, Ingresses int
}

// total is the number of documents written, including the IngressClass that
// accompanies any Ingress.
func (c Counts) Total() int {
	t := c.Namespaces + c.Deployments + c.Services + c.PDBs + c.Ingresses
	if c.Ingresses > 0 {
		t++
	}
	return t
}

// scaleTo keeps the proportions of c and changes the Counts so that the
// stream holds exactly n documents (n must be at least 2: a Namespace and a
// Deployment). Rounding differences go to the Deployments.
func ScaleTo(c Counts, n int) (Counts, error) {
	if n < 2 {
		return c, fmt.Errorf("-objects must be at least 2, got %d", n)
	}
	base := c.Namespaces + c.Deployments + c.Services + c.PDBs + c.Ingresses
	if base == 0 {
		return c, fmt.Errorf("-objects needs at least one non-zero count to scale")
	}
	target := n
	if c.Ingresses > 0 {
		target-- // the IngressClass
	}
	f := float64(target) / float64(base)
	r := func(v int) int { return int(math.Round(float64(v) * f)) }
	s := Counts{
		Namespaces:  max(1, r(c.Namespaces)),
		Deployments: r(c.Deployments),
		Services:    r(c.Services),
		PDBs:        r(c.PDBs),
		Ingresses:   r(c.Ingresses),
	}
	if c.Ingresses > 0 && s.Ingresses == 0 {
		target++ // no Ingress, so no IngressClass either
	}
	s.Deployments += target - (s.Namespaces + s.Deployments + s.Services + s.PDBs + s.Ingresses)
	if s.Deployments < 1 || s.Total() != n {
		return c, fmt.Errorf("-objects %d is too small for these proportions", n)
	}
	return s, nil
}

// Object kinds, used to give each object its own random stream.
const (
	kindNamespace = iota + 1
	kindDeployment
	kindService
	kindPDB
	kindIngress
	kindDeploymentSpec // the choices made while writing a Deployment
	kindServiceSpec    // the choices made while writing a Service
)

var (
	teams      = []string{"payments", "search", "checkout", "identity", "catalog", "media", "ads", "platform", "data", "mobile", "growth", "support"}
	components = []string{"orders", "cart", "pricing", "users", "sessions", "images", "recommend", "inventory", "billing", "notify", "reviews", "shipping", "ledger", "profile", "feed"}
	roles      = []string{"api", "web", "worker", "gateway", "grpc", "frontend", "backend", "svc"}
	appPorts   = []int{8080, 8080, 8080, 8000, 3000, 9000, 5000, 80}
)

type nsInfo struct {
	name string
	team string
	svcs []int // indexes of the Services in this namespace
}

type depInfo struct {
	name     string
	ns       int
	port     int
	portName string // "" when the container port is unnamed
	replicas int
}

type svcInfo struct {
	name string
	dep  int
	port int
}

type generator struct {
	c    Counts
	seed uint64
	ns   []nsInfo
	deps []depInfo
	svcs []svcInfo
}

// rng gives the random stream of one object: it depends on the seed, the
// kind and the index only.
func (g *generator) rng(kind, i int) *rand.Rand {
	return rand.New(rand.NewPCG(g.seed, uint64(kind)<<40|uint64(i)))
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

func newGenerator(c Counts, seed uint64) *generator {
	g := &generator{c: c, seed: seed}
	g.ns = make([]nsInfo, c.Namespaces)
	for i := range g.ns {
		t := teams[i%len(teams)]
		g.ns[i] = nsInfo{name: fmt.Sprintf("%s-%d", t, i), team: t}
	}
	g.deps = make([]depInfo, c.Deployments)
	for i := range g.deps {
		r := g.rng(kindDeployment, i)
		d := depInfo{
			name:     fmt.Sprintf("%s-%s-%d", pick(r, components), pick(r, roles), i),
			ns:       r.IntN(c.Namespaces),
			port:     pick(r, appPorts),
			replicas: 1 + r.IntN(6),
		}
		if chance(r, 0.7) {
			d.portName = "http"
		}
		g.deps[i] = d
	}
	g.svcs = make([]svcInfo, c.Services)
	for i := range g.svcs {
		dep := i % c.Deployments
		name := g.deps[dep].name
		if i >= c.Deployments {
			// A second Service for the same Deployment, as for an internal
			// and an external entry point.
			name = fmt.Sprintf("%s-ext-%d", name, i/c.Deployments)
		}
		port := 80
		if chance(g.rng(kindService, i), 0.3) {
			port = g.deps[dep].port
		}
		g.svcs[i] = svcInfo{name: name, dep: dep, port: port}
		ns := g.deps[dep].ns
		g.ns[ns].svcs = append(g.ns[ns].svcs, i)
	}
	return g
}

// yw writes YAML a line at a time and remembers the first write error.
type yw struct {
	w   io.Writer
	err error
}

func (y *yw) line(indent int, format string, args ...any) {
	if y.err != nil {
		return
	}
	if _, err := fmt.Fprintf(y.w, "%*s", indent, ""); err != nil {
		y.err = err
		return
	}
	if _, err := fmt.Fprintf(y.w, format, args...); err != nil {
		y.err = err
		return
	}
	_, y.err = io.WriteString(y.w, "\n")
}

func (g *generator) write(w io.Writer) error {
	y := &yw{w: w}
	for i := range g.ns {
		g.namespace(y, i)
	}
	if g.c.Ingresses > 0 {
		ingressClass(y)
	}
	for i := range g.deps {
		g.deployment(y, i)
	}
	for i := range g.svcs {
		g.service(y, i)
	}
	for i := 0; i < g.c.PDBs; i++ {
		g.pdb(y, i)
	}
	for i := 0; i < g.c.Ingresses; i++ {
		g.ingress(y, i)
	}
	return y.err
}

func (g *generator) namespace(y *yw, i int) {
	r := g.rng(kindNamespace, i)
	n := g.ns[i]
	y.line(0, "---")
	y.line(0, "apiVersion: v1")
	y.line(0, "kind: Namespace")
	y.line(0, "metadata:")
	y.line(2, "name: %s", n.name)
	y.line(2, "labels:")
	y.line(4, "kubernetes.io/metadata.name: %s", n.name)
	y.line(4, "team: %s", n.team)
	if chance(r, 0.4) {
		y.line(4, "elbv2.k8s.aws/pod-readiness-gate-inject: enabled")
	}
}

func ingressClass(y *yw) {
	y.line(0, "---")
	y.line(0, "apiVersion: networking.k8s.io/v1")
	y.line(0, "kind: IngressClass")
	y.line(0, "metadata:")
	y.line(2, "name: alb")
	y.line(0, "spec:")
	y.line(2, "controller: ingress.k8s.aws/alb")
}

// portRef is how a probe or a Service names the Deployment's serving port.
func (d depInfo) portRef() string {
	if d.portName != "" {
		return d.portName
	}
	return strconv.Itoa(d.port)
}

func (g *generator) deployment(y *yw, i int) {
	r := g.rng(kindDeploymentSpec, i)
	d := g.deps[i]
	ns := g.ns[d.ns]
	y.line(0, "---")
	y.line(0, "apiVersion: apps/v1")
	y.line(0, "kind: Deployment")
	y.line(0, "metadata:")
	y.line(2, "name: %s", d.name)
	y.line(2, "namespace: %s", ns.name)
	y.line(2, "labels:")
	y.line(4, "app: %s", d.name)
	y.line(4, "team: %s", ns.team)
	y.line(0, "spec:")
	y.line(2, "replicas: %d", d.replicas)
	if chance(r, 0.2) {
		y.line(2, "minReadySeconds: %d", pick(r, []int{5, 10, 30}))
	}
	y.line(2, "revisionHistoryLimit: %d", pick(r, []int{3, 5, 10}))
	y.line(2, "selector:")
	y.line(4, "matchLabels:")
	y.line(6, "app: %s", d.name)
	switch x := r.Float64(); {
	case x < 0.04:
		y.line(2, "strategy:")
		y.line(4, "type: Recreate")
	case x < 0.45:
		y.line(2, "strategy:")
		y.line(4, "type: RollingUpdate")
		y.line(4, "rollingUpdate:")
		y.line(6, "maxSurge: %s", pick(r, []string{`"25%"`, "1", `"50%"`, "2"}))
		y.line(6, "maxUnavailable: %s", pick(r, []string{"0", "0", "1", `"25%"`}))
	default:
		// No strategy: the 25%/25% defaults apply.
	}
	y.line(2, "template:")
	y.line(4, "metadata:")
	y.line(6, "labels:")
	y.line(8, "app: %s", d.name)
	y.line(8, "version: v%d", 1+r.IntN(9))
	if chance(r, 0.5) {
		y.line(6, "annotations:")
		y.line(8, `prometheus.io/scrape: "true"`)
		y.line(8, `prometheus.io/port: "9090"`)
	}
	y.line(4, "spec:")
	grace := 0
	if chance(r, 0.5) {
		grace = pick(r, []int{30, 35, 45, 60, 90, 200})
		y.line(6, "terminationGracePeriodSeconds: %d", grace)
	}
	if chance(r, 0.3) {
		y.line(6, "topologySpreadConstraints:")
		y.line(8, "- maxSkew: 1")
		y.line(10, "topologyKey: topology.kubernetes.io/zone")
		y.line(10, "whenUnsatisfiable: %s", pick(r, []string{"ScheduleAnyway", "DoNotSchedule"}))
		y.line(10, "labelSelector:")
		y.line(12, "matchLabels:")
		y.line(14, "app: %s", d.name)
	}
	if chance(r, 0.1) {
		y.line(6, "serviceAccountName: %s", d.name)
	}
	y.line(6, "containers:")
	g.appContainer(y, r, d, grace)
	if chance(r, 0.35) {
		sidecar(y, r)
	}
}

func (g *generator) appContainer(y *yw, r *rand.Rand, d depInfo, grace int) {
	ns := g.ns[d.ns]
	y.line(8, "- name: app")
	y.line(10, "image: registry.example.com/%s/%s:1.%d.%d", ns.team, d.name, r.IntN(30), r.IntN(10))
	switch x := r.Float64(); {
	case x < 0.1:
		// Shell form with exec: the shell replaces itself with the server.
		y.line(10, `command: ["/bin/sh", "-c", "exec /app/server --port=%d"]`, d.port)
	case x < 0.2:
		// Shell form without exec: the shell stays PID 1 and swallows SIGTERM.
		y.line(10, `command: ["/bin/sh", "-c", "/app/server --port=%d"]`, d.port)
	case x < 0.5:
		y.line(10, `args: ["--port=%d", "--log-format=json"]`, d.port)
	default:
		// The image's own entrypoint.
	}
	y.line(10, "ports:")
	if d.portName != "" {
		y.line(12, "- name: %s", d.portName)
		y.line(14, "containerPort: %d", d.port)
	} else {
		y.line(12, "- containerPort: %d", d.port)
	}
	y.line(14, "protocol: TCP")
	if chance(r, 0.4) {
		y.line(12, "- name: metrics")
		y.line(14, "containerPort: 9090")
	}
	y.line(10, "env:")
	y.line(12, "- name: PORT")
	y.line(14, `value: "%d"`, d.port)
	y.line(12, "- name: POD_NAME")
	y.line(14, "valueFrom:")
	y.line(16, "fieldRef:")
	y.line(18, "fieldPath: metadata.name")
	y.line(10, "resources:")
	y.line(12, "requests:")
	y.line(14, "cpu: %dm", pick(r, []int{50, 100, 250, 500}))
	mem := pick(r, []int{64, 128, 256, 512})
	y.line(14, "memory: %dMi", mem)
	y.line(12, "limits:")
	y.line(14, "memory: %dMi", mem*pick(r, []int{1, 2, 4}))

	readiness := chance(r, 0.7)
	if readiness {
		y.line(10, "readinessProbe:")
		probeHandler(y, r, d)
		y.line(12, "periodSeconds: %d", pick(r, []int{5, 10}))
		y.line(12, "failureThreshold: %d", pick(r, []int{1, 2, 3}))
	}
	switch x := r.Float64(); {
	case x < 0.15 && readiness:
		// The same check as readiness, failing fast: a slow pod gets
		// restarted instead of taken out of rotation.
		y.line(10, "livenessProbe:")
		y.line(12, "httpGet:")
		y.line(14, "path: /healthz")
		y.line(14, "port: %s", d.portRef())
		y.line(12, "failureThreshold: 1")
	case x < 0.55:
		y.line(10, "livenessProbe:")
		y.line(12, "tcpSocket:")
		y.line(14, "port: %s", d.portRef())
		y.line(12, "periodSeconds: 10")
		y.line(12, "failureThreshold: 3")
	}

	switch x := r.Float64(); {
	case x < 0.15:
		// The native sleep action must not exceed the grace period.
		s := pick(r, []int{10, 15, 20, 25})
		if grace > 0 && s > grace {
			s = grace
		}
		y.line(10, "lifecycle:")
		y.line(12, "preStop:")
		y.line(14, "sleep:")
		y.line(16, "seconds: %d", s)
	case x < 0.3:
		y.line(10, "lifecycle:")
		y.line(12, "preStop:")
		y.line(14, "exec:")
		y.line(16, `command: ["/bin/sh", "-c", "sleep %d"]`, pick(r, []int{5, 15, 30, 180}))
	case x < 0.4:
		y.line(10, "lifecycle:")
		y.line(12, "preStop:")
		y.line(14, "exec:")
		y.line(16, `command: ["sleep", "%d"]`, pick(r, []int{10, 20, 60}))
	default:
		// No preStop hook.
	}
}

func probeHandler(y *yw, r *rand.Rand, d depInfo) {
	switch x := r.Float64(); {
	case x < 0.05:
		// A probe on the metrics port rather than the served one.
		y.line(12, "httpGet:")
		y.line(14, "path: /metrics")
		y.line(14, "port: 9090")
	case x < 0.75:
		y.line(12, "httpGet:")
		y.line(14, "path: %s", pick(r, []string{"/healthz", "/ready", "/", "/status"}))
		y.line(14, "port: %s", d.portRef())
	case x < 0.95:
		y.line(12, "tcpSocket:")
		y.line(14, "port: %s", d.portRef())
	default:
		y.line(12, "exec:")
		y.line(14, `command: ["/app/healthcheck"]`)
	}
}

func sidecar(y *yw, r *rand.Rand) {
	switch r.IntN(3) {
	case 0:
		y.line(8, "- name: log-shipper")
		y.line(10, "image: registry.example.com/platform/log-shipper:2.%d.0", r.IntN(5))
		y.line(10, `args: ["--input=/var/log/app", "--output=stdout"]`)
	case 1:
		y.line(8, "- name: envoy")
		y.line(10, "image: registry.example.com/platform/envoy:1.3%d.0", r.IntN(4))
		y.line(10, "ports:")
		y.line(12, "- name: admin")
		y.line(14, "containerPort: 9901")
	default:
		y.line(8, "- name: cloudsql-proxy")
		y.line(10, "image: registry.example.com/platform/db-proxy:1.%d.0", r.IntN(8))
		y.line(10, `command: ["/db-proxy", "--port=5432"]`)
	}
	y.line(10, "resources:")
	y.line(12, "requests:")
	y.line(14, "cpu: 50m")
	y.line(14, "memory: 64Mi")
}

func (g *generator) service(y *yw, i int) {
	r := g.rng(kindServiceSpec, i)
	s := g.svcs[i]
	d := g.deps[s.dep]
	ns := g.ns[d.ns]

	kind := "ClusterIP"
	switch x := r.Float64(); {
	case x < 0.25:
		kind = "NodePort"
	case x < 0.5:
		kind = "LoadBalancer"
	}
	var annotations [][2]string
	lbClass := ""
	if kind == "LoadBalancer" {
		switch x := r.Float64(); {
		case x < 0.45:
			annotations = append(annotations,
				[2]string{"service.beta.kubernetes.io/aws-load-balancer-type", "external"},
				[2]string{"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type", "ip"})
		case x < 0.6:
			annotations = append(annotations,
				[2]string{"service.beta.kubernetes.io/aws-load-balancer-type", "external"},
				[2]string{"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type", "instance"})
		case x < 0.7:
			annotations = append(annotations,
				[2]string{"service.beta.kubernetes.io/aws-load-balancer-type", "nlb-ip"})
		case x < 0.8:
			annotations = append(annotations,
				[2]string{"service.beta.kubernetes.io/aws-load-balancer-type", "nlb"})
		case x < 0.9:
			lbClass = "service.k8s.aws/nlb"
			annotations = append(annotations,
				[2]string{"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type", "ip"})
		default:
			// No annotation: the in-tree Classic Load Balancer.
		}
		if len(annotations) > 0 || lbClass != "" {
			annotations = append(annotations,
				[2]string{"service.beta.kubernetes.io/aws-load-balancer-scheme", pick(r, []string{"internal", "internet-facing"})})
			if chance(r, 0.5) {
				annotations = append(annotations,
					[2]string{"service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval", strconv.Quote(pick(r, []string{"10", "30"}))},
					[2]string{"service.beta.kubernetes.io/aws-load-balancer-healthcheck-healthy-threshold", strconv.Quote(pick(r, []string{"2", "3"}))},
					[2]string{"service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold", `"2"`})
			}
			if chance(r, 0.4) {
				annotations = append(annotations,
					[2]string{"service.beta.kubernetes.io/aws-load-balancer-target-group-attributes",
						"deregistration_delay.timeout_seconds=" + pick(r, []string{"30", "60", "120"})})
			}
		}
	}

	y.line(0, "---")
	y.line(0, "apiVersion: v1")
	y.line(0, "kind: Service")
	y.line(0, "metadata:")
	y.line(2, "name: %s", s.name)
	y.line(2, "namespace: %s", ns.name)
	y.line(2, "labels:")
	y.line(4, "app: %s", d.name)
	if len(annotations) > 0 {
		y.line(2, "annotations:")
		for _, a := range annotations {
			y.line(4, "%s: %s", a[0], a[1])
		}
	}
	y.line(0, "spec:")
	y.line(2, "type: %s", kind)
	if lbClass != "" {
		y.line(2, "loadBalancerClass: %s", lbClass)
	}
	if kind == "ClusterIP" && chance(r, 0.06) {
		y.line(2, "clusterIP: None")
	}
	if kind == "LoadBalancer" && chance(r, 0.3) {
		y.line(2, "externalTrafficPolicy: Local")
	}
	y.line(2, "selector:")
	y.line(4, "app: %s", d.name)
	y.line(2, "ports:")
	y.line(4, "- name: http")
	y.line(6, "port: %d", s.port)
	switch {
	case chance(r, 0.02):
		// A target port no container serves.
		y.line(6, "targetPort: web")
	default:
		y.line(6, "targetPort: %s", d.portRef())
	}
	y.line(6, "protocol: TCP")
}

func (g *generator) pdb(y *yw, i int) {
	r := g.rng(kindPDB, i)
	// Spread the budgets evenly over the Deployments.
	dep := int(int64(i) * int64(len(g.deps)) / int64(g.c.PDBs))
	d := g.deps[dep]
	name := d.name + "-pdb"
	if g.c.PDBs > len(g.deps) {
		// Some Deployments get more than one budget; keep names unique.
		name = fmt.Sprintf("%s-pdb-%d", d.name, i)
	}
	y.line(0, "---")
	y.line(0, "apiVersion: policy/v1")
	y.line(0, "kind: PodDisruptionBudget")
	y.line(0, "metadata:")
	y.line(2, "name: %s", name)
	y.line(2, "namespace: %s", g.ns[d.ns].name)
	y.line(0, "spec:")
	switch x := r.Float64(); {
	case x < 0.4:
		y.line(2, "minAvailable: 1")
	case x < 0.7:
		y.line(2, "maxUnavailable: 1")
	case x < 0.8:
		y.line(2, `minAvailable: "50%%"`)
	case x < 0.9:
		y.line(2, `maxUnavailable: "25%%"`)
	case x < 0.93:
		// Blocks every voluntary eviction.
		y.line(2, `minAvailable: "100%%"`)
	case x < 0.96:
		y.line(2, "maxUnavailable: 0")
	default:
		y.line(2, "minAvailable: %d", d.replicas)
	}
	if chance(r, 0.2) {
		y.line(2, "unhealthyPodEvictionPolicy: AlwaysAllow")
	}
	y.line(2, "selector:")
	y.line(4, "matchLabels:")
	if chance(r, 0.02) {
		// A selector that matches no pod: the label was renamed.
		y.line(6, "app.kubernetes.io/name: %s", d.name)
	} else {
		y.line(6, "app: %s", d.name)
	}
}

func (g *generator) ingress(y *yw, i int) {
	r := g.rng(kindIngress, i)
	first := g.svcs[r.IntN(len(g.svcs))]
	nsIdx := g.deps[first.dep].ns
	ns := g.ns[nsIdx]
	name := fmt.Sprintf("%s-%d", first.name, i)

	y.line(0, "---")
	y.line(0, "apiVersion: networking.k8s.io/v1")
	y.line(0, "kind: Ingress")
	y.line(0, "metadata:")
	y.line(2, "name: %s", name)
	y.line(2, "namespace: %s", ns.name)
	y.line(2, "annotations:")
	y.line(4, "alb.ingress.kubernetes.io/scheme: %s", pick(r, []string{"internet-facing", "internal"}))
	switch x := r.Float64(); {
	case x < 0.6:
		y.line(4, "alb.ingress.kubernetes.io/target-type: ip")
	case x < 0.7:
		y.line(4, "alb.ingress.kubernetes.io/target-type: instance")
	default:
		// No target type: the controller's default, instance.
	}
	if chance(r, 0.3) {
		y.line(4, "alb.ingress.kubernetes.io/group.name: %s", ns.team)
	}
	if chance(r, 0.5) {
		y.line(4, "alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=%s",
			pick(r, []string{"30", "30", "60", "300"}))
	}
	if chance(r, 0.6) {
		y.line(4, "alb.ingress.kubernetes.io/healthcheck-path: %s", pick(r, []string{"/healthz", "/ready", "/"}))
		y.line(4, `alb.ingress.kubernetes.io/healthcheck-interval-seconds: "%d"`, pick(r, []int{5, 10, 15, 30}))
		y.line(4, `alb.ingress.kubernetes.io/healthy-threshold-count: "%d"`, pick(r, []int{2, 3, 5}))
	}
	if chance(r, 0.4) {
		y.line(4, `alb.ingress.kubernetes.io/listen-ports: '[{"HTTP": 80}, {"HTTPS": 443}]'`)
	}
	y.line(0, "spec:")
	y.line(2, "ingressClassName: alb")
	y.line(2, "rules:")
	y.line(4, "- host: %s.%s.example.com", first.name, ns.team)
	y.line(6, "http:")
	y.line(8, "paths:")
	backends := []svcInfo{first}
	for n := r.IntN(3); n > 0; n-- {
		b := g.svcs[pick(r, ns.svcs)]
		dup := false
		for _, have := range backends {
			dup = dup || have.name == b.name
		}
		if !dup {
			backends = append(backends, b)
		}
	}
	for k, b := range backends {
		path := "/"
		if k > 0 {
			path = fmt.Sprintf("/%s", b.name)
		}
		y.line(10, "- path: %s", path)
		y.line(12, "pathType: Prefix")
		y.line(12, "backend:")
		y.line(14, "service:")
		y.line(16, "name: %s", b.name)
		y.line(16, "port:")
		if chance(r, 0.2) {
			y.line(18, "name: http")
		} else {
			y.line(18, "number: %d", b.port)
		}
	}
}

// Default is the stream bench/check.sh measures: 12,551 documents.
var Default = Counts{Namespaces: 50, Deployments: 5000, Services: 5000, PDBs: 2000, Ingresses: 500}

// Objects returns a stream of n objects in Default's proportions.
func Objects(n int, seed uint64) ([]byte, error) {
	c, err := ScaleTo(Default, n)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := Write(&buf, c, seed); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the stream for c and seed to w.
func Write(w io.Writer, c Counts, seed uint64) error {
	if c.Namespaces < 1 || c.Deployments < 0 || c.Services < 0 || c.PDBs < 0 || c.Ingresses < 0 {
		return fmt.Errorf("counts must not be negative, and at least one namespace is needed")
	}
	if c.Deployments == 0 && (c.Services > 0 || c.PDBs > 0) {
		return fmt.Errorf("services and PDBs need at least one deployment to select")
	}
	if c.Services == 0 && c.Ingresses > 0 {
		return fmt.Errorf("ingresses need at least one service to route to")
	}
	return newGenerator(c, seed).write(w)
}
