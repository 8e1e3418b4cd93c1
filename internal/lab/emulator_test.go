package lab

// The emulator against a real control plane (internal/testenv) and a real
// HAProxy: EndpointSlices written by the test point at HTTP servers on
// 127.0.0.0/8, and kwok plays the kubelet for the readiness-gate pod.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/internal/testutil"
	"github.com/zerodrop/zerodrop/pkg/sim"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestMain(m *testing.M) { testenv.Main(m, testenv.Options{Nodes: 1}) }

// backend is one target: an HTTP server on ip:port that names itself and
// whose health can be switched.
type backend struct {
	name    string
	healthy atomic.Bool
	srv     *http.Server
}

func startBackend(t *testing.T, name, addr string) (*backend, int) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{name: name}
	b.healthy.Store(true)
	b.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && !b.healthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		io.WriteString(w, name)
	})}
	go b.srv.Serve(l)
	t.Cleanup(func() { b.srv.Close() })
	return b, l.Addr().(*net.TCPAddr).Port
}

// TestEmulatorOnRealControlPlane plays an ALB with ip targets: the target
// present at start serves at once; a new endpoint is registered after the
// reconcile and propagation delays and serves once its first check passes;
// a terminating endpoint keeps getting requests until stop-sending, then
// none, and is let go after the deregistration delay; with no healthy
// target the load balancer fails open; a pod with the readiness gate gets
// its condition once its target is healthy, and kwok then makes it Ready.
func TestEmulatorOnRealControlPlane(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not installed (apt-get install haproxy)")
	}
	env := testenv.Shared(t)
	// An EndpointSlice cannot hold loopback addresses: the slices name
	// 198.51.100.N (TEST-NET-2), which the emulator reaches as 127.0.0.N.
	oldL, oldT, oldD := checkListen, checkTarget, dialAddr
	testNet := netip.MustParsePrefix("198.51.100.0/24")
	checkListen = func(string) error { return nil }
	checkTarget = func(a netip.Addr) error {
		if !testNet.Contains(a) {
			return fmt.Errorf("%s is not in %s", a, testNet)
		}
		return nil
	}
	dialAddr = func(a netip.AddrPort) netip.AddrPort {
		b := a.Addr().As4()
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, b[3]}), a.Port())
	}
	defer func() { checkListen, checkTarget, dialAddr = oldL, oldT, oldD }()

	ns := env.Namespace(t)
	client := env.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	a, port := startBackend(t, "a", "127.0.0.1:0")
	b, _ := startBackend(t, "b", fmt.Sprintf("127.0.0.2:%d", port))
	startBackend(t, "c", fmt.Sprintf("127.0.0.3:%d", port))

	// The gated pod, on kwok's node: containers ready, Ready only once the
	// gate's condition is True.
	gate := GatePrefix + "k8s-test"
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: ns},
		Spec: corev1.PodSpec{NodeName: env.Nodes[0], ReadinessGates: []corev1.PodReadinessGate{{ConditionType: corev1.PodConditionType(gate)}},
			Containers: []corev1.Container{{Name: "app", Image: "example/c:1"}}}}
	if _, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(int32(port))}}}}
	if _, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	ep := func(ip string, ready, terminating bool, pod string) discoveryv1.Endpoint {
		e := discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &no, Terminating: &no}}
		if ready {
			e.Conditions.Ready = &yes
		}
		if terminating {
			e.Conditions.Terminating = &yes
		}
		if pod != "" {
			e.TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: pod, Namespace: ns}
		}
		return e
	}
	name, p32 := "http", int32(port)
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &p32}},
		Endpoints:   []discoveryv1.Endpoint{ep("198.51.100.1", true, false, "")},
	}
	if slice, err = client.DiscoveryV1().EndpointSlices(ns).Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setEndpoints := func(eps ...discoveryv1.Endpoint) {
		t.Helper()
		slice.Endpoints = eps
		var err error
		if slice, err = client.DiscoveryV1().EndpointSlices(ns).Update(ctx, slice, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	tg := TargetGroup{Namespace: ns, Service: "web", ServicePort: svc.Spec.Ports[0], IP: true, HTTP: true,
		HealthPath: "/healthz", Interval: 300 * time.Millisecond, Timeout: 200 * time.Millisecond,
		HealthyThreshold: 2, UnhealthyThreshold: 2, NewTargetChecks: 1, DeregistrationDelay: 1500 * time.Millisecond,
		ConnectionTermination: true, Reconcile: sim.Const(0.2), RegisterPropagation: sim.Const(0.2),
		DeregisterPropagation: sim.Const(0.6), GateRequeue: 300 * time.Millisecond, IdleTimeout: 5 * time.Second}
	lctx, stop := context.WithCancel(ctx)
	var logMu sync.Mutex
	var logs []string
	listen := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	em, err := NewEmulator(lctx, tg, client, bin, t.TempDir(), listen, 1, func(f string, args ...any) {
		logMu.Lock()
		logs = append(logs, fmt.Sprintf(f, args...))
		logMu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- em.Run() }()
	defer func() {
		stop()
		<-done
		logMu.Lock()
		t.Logf("emulator log:\n%s", strings.Join(logs, "\n"))
		logMu.Unlock()
	}()

	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func() (int, string) {
		resp, err := hc.Get("http://" + listen + "/")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// until polls the load balancer until cond holds for the set of bodies
	// of the last 20 requests.
	until := func(what string, cond func(seen map[string]int) bool) {
		t.Helper()
		for ctx.Err() == nil {
			seen := map[string]int{}
			for range 20 {
				code, body := get()
				seen[fmt.Sprintf("%d %s", code, body)]++
			}
			if cond(seen) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	only := func(keys ...string) func(map[string]int) bool {
		return func(seen map[string]int) bool {
			n := 0
			for _, k := range keys {
				n += seen[k]
			}
			return n == 20
		}
	}

	until("target a at start", only("200 a"))
	began := time.Now()
	setEndpoints(ep("198.51.100.1", true, false, ""), ep("198.51.100.2", true, false, ""))
	until("target b registered", func(seen map[string]int) bool { return seen["200 a"] > 0 && seen["200 b"] > 0 })
	if d := time.Since(began); d < 400*time.Millisecond {
		t.Errorf("b served %v after its endpoint appeared; reconcile + propagation are 0.4 s", d)
	}

	// a terminates: it keeps getting requests until stop-sending (0.2 s
	// reconcile + 0.6 s propagation), then none.
	began = time.Now()
	setEndpoints(ep("198.51.100.1", false, true, ""), ep("198.51.100.2", true, false, ""))
	until("a no longer sent requests", only("200 b"))
	if d := time.Since(began); d < 700*time.Millisecond {
		t.Errorf("a stopped getting requests %v after it terminated; the delays add up to 0.8 s", d)
	}

	// b fails its checks: with no healthy target the load balancer fails
	// open to b rather than answer 503.
	b.healthy.Store(false)
	time.Sleep(3 * tg.Interval)
	until("fail-open to b", only("200 b"))
	b.healthy.Store(true)
	_ = a

	// The gated pod c: registered because its containers are ready, the
	// gate set once its target is healthy, then kwok makes it Ready.
	setEndpoints(ep("198.51.100.2", true, false, ""), ep("198.51.100.3", false, false, "c"))
	for {
		p, err := client.CoreV1().Pods(ns).Get(ctx, "c", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		gateTrue, ready := false, false
		for _, c := range p.Status.Conditions {
			if string(c.Type) == gate && c.Status == corev1.ConditionTrue {
				gateTrue = true
			}
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if gateTrue && ready {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("pod c: gate %v, ready %v; conditions %+v", gateTrue, ready, p.Status.Conditions)
		}
		time.Sleep(100 * time.Millisecond)
	}
	until("c serves", func(seen map[string]int) bool { return seen["200 c"] > 0 })

	// a has been let go after its deregistration delay.
	time.Sleep(tg.DeregistrationDelay)
	logMu.Lock()
	all := strings.Join(logs, "\n")
	logMu.Unlock()
	for _, want := range []string{"deregister 198.51.100.1:", "stop sending to 198.51.100.1:", "drained 198.51.100.1:", "readiness gate of pod c set"} {
		if !strings.Contains(all, want) {
			t.Errorf("emulator log lacks %q", want)
		}
	}
}
