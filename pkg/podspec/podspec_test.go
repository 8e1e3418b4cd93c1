package podspec

import (
	"strconv"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestClassifyScript(t *testing.T) {
	cases := []struct {
		script string
		want   Script
	}{
		{"my-app", Simple},
		{"/app --port $PORT", Simple},
		{"exec /app", Exec},
		{"setup; my-app", Compound},
		{"setup && exec my-app", Exec},
		{"my-app | tee log", Compound},
		{"my-app --id $(hostname)", Compound},
		{"my-app &\nwait", Backgrounded},
		{"echo 'a; b'", Simple},
	}
	for _, c := range cases {
		if got := ClassifyScript(c.script); got != c.want {
			t.Errorf("ClassifyScript(%q) = %v, want %v", c.script, got, c.want)
		}
	}
}

func TestInsertExec(t *testing.T) {
	cases := []struct {
		script, want string
		ok           bool
	}{
		{"setup; my-app --flag", "setup; exec my-app --flag", true},
		{"setup && my-app", "setup && exec my-app", true},
		{"cp a b\n  my-app\n", "cp a b\n  exec my-app\n", true},
		{"echo 'x; y'; my-app", "echo 'x; y'; exec my-app", true},
		{"setup; my-app | tee log", "", false},
		{"setup; my-app &", "", false},
		{"if true; then app; fi", "", false},
		{"setup; FOO=1 app", "", false},
		{"setup; exec app", "", false},
		{"setup; wait", "", false},
		{"setup; echo 'unclosed", "", false},
	}
	for _, c := range cases {
		got, ok := InsertExec(c.script)
		if ok != c.ok || got != c.want {
			t.Errorf("InsertExec(%q) = %q, %v; want %q, %v", c.script, got, ok, c.want, c.ok)
		}
		if ok && ClassifyScript(got) != Exec {
			t.Errorf("InsertExec(%q) gave %q, which does not classify as Exec", c.script, got)
		}
	}
}

func TestReadPreStop(t *testing.T) {
	c := inventory.Container{Name: "a", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "sleep 15 && nginx -s quit"}}}}}
	ps := ReadPreStop(&c)
	if !ps.Present || !ps.Known || ps.Seconds != 15 || !ps.Shell {
		t.Fatalf("ReadPreStop = %+v", ps)
	}
	c.Lifecycle.PreStop = &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 20}}
	if ps := ReadPreStop(&c); ps.Handler != "sleep" || ps.Seconds != 20 {
		t.Fatalf("native sleep: %+v", ps)
	}
}

func TestParseSleep(t *testing.T) {
	for in, want := range map[string]int64{"15": 15, "'15'": 15, "2.5": 2, "30s": 30, "5m": 300, "1h": 3600, "2d": 172800, "0": 0} {
		if got, ok := parseSleep(in); !ok || got != want {
			t.Errorf("parseSleep(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	// infinity is how a script holds a pod until its grace period ends; it,
	// and numbers no int64 holds, are not durations to compare.
	for _, in := range []string{"infinity", "inf", "Infinity", "1e30", "NaN", "-5", "", "x", "5w", "1e300d"} {
		if got, ok := parseSleep(in); ok {
			t.Errorf("parseSleep(%q) = %d, true; want not known", in, got)
		}
	}
	c := inventory.Container{Name: "a", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "sleep infinity"}}}}}
	if ps := ReadPreStop(&c); !ps.Present || ps.Known || ps.Seconds != 0 {
		t.Errorf("sleep infinity: %+v; want present, not known", ps)
	}
}

// FuzzParseSleep: a sleep zerodrop reads is never negative nor past its
// bound, and a plain count of seconds reads as itself.
func FuzzParseSleep(f *testing.F) {
	for _, s := range []string{"15", "5m", "1h", "infinity", "1e30", "-1", "0x10", "2.5s", "'7'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseSleep(s)
		if !ok {
			return
		}
		if got < 0 || got > maxSleepSeconds {
			t.Fatalf("parseSleep(%q) = %d, outside 0–%d", s, got, maxSleepSeconds)
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && got != n {
			t.Fatalf("parseSleep(%q) = %d, want %d", s, got, n)
		}
	})
}

func TestScriptArg(t *testing.T) {
	c := inventory.Container{Command: []string{"sh", "-c"}, Args: []string{"setup; app"}}
	inCmd, i, ok := ScriptArg(&c)
	if !ok || inCmd || i != 0 {
		t.Fatalf("ScriptArg = %v %d %v", inCmd, i, ok)
	}
	c = inventory.Container{Command: []string{"/bin/bash", "-ec", "setup; app"}}
	inCmd, i, ok = ScriptArg(&c)
	if !ok || !inCmd || i != 2 {
		t.Fatalf("ScriptArg = %v %d %v", inCmd, i, ok)
	}
}

func sleepHook(secs int64) *corev1.Lifecycle {
	return &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: secs}}}
}

// sidecarPod has a main container, a plain init container and a native
// sidecar proxy that serves the pod's named port.
func sidecarPod() *inventory.PodSpec {
	always := corev1.ContainerRestartPolicyAlways
	return &inventory.PodSpec{
		InitContainers: []inventory.Container{
			{Name: "migrate", Ports: []corev1.ContainerPort{{Name: "admin", ContainerPort: 9000}}},
			{Name: "proxy", RestartPolicy: &always, Ports: []corev1.ContainerPort{{Name: "https", ContainerPort: 8443}}},
		},
		Containers: []inventory.Container{
			{Name: "app", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}, Lifecycle: sleepHook(25)},
		},
	}
}

func names(cs []*inventory.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func TestNativeSidecarsServePorts(t *testing.T) {
	spec := sidecarPod()
	for _, tc := range []struct {
		port intstr.IntOrString
		want string
	}{
		{intstr.FromString("https"), "proxy"},
		{intstr.FromInt32(8443), "proxy"},
		{intstr.FromString("http"), "app"},
		// A plain init container has exited before the pod is Ready: it
		// serves nothing.
		{intstr.FromString("admin"), ""},
	} {
		got := names(ServingContainers(spec, &corev1.ServicePort{Port: 80, TargetPort: tc.port}))
		if (tc.want == "" && len(got) != 0) || (tc.want != "" && (len(got) != 1 || got[0] != tc.want)) {
			t.Errorf("ServingContainers(%s) = %v, want %q", tc.port.String(), got, tc.want)
		}
	}
	// A named target resolves by name and protocol, as the endpoint
	// controller resolves it; a number ignores the protocol.
	udp := &inventory.PodSpec{Containers: []inventory.Container{{Name: "dns", Ports: []corev1.ContainerPort{{Name: "dns", ContainerPort: 5353, Protocol: corev1.ProtocolUDP}}}}}
	if got := ServingContainers(udp, &corev1.ServicePort{Port: 53, TargetPort: intstr.FromString("dns")}); len(got) != 0 {
		t.Errorf("a TCP port named for a UDP container port is served by %v", names(got))
	}
	if got := NamedElsewhere(udp, &corev1.ServicePort{Port: 53, TargetPort: intstr.FromString("dns")}); got != corev1.ProtocolUDP {
		t.Errorf("NamedElsewhere = %q, want UDP", got)
	}
	if got := ServingContainers(udp, &corev1.ServicePort{Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")}); len(got) != 1 {
		t.Errorf("a UDP port named for a UDP container port is not served: %v", names(got))
	}
	if got := ServingContainers(udp, &corev1.ServicePort{Port: 53, TargetPort: intstr.FromInt32(5353)}); len(got) != 1 {
		t.Errorf("a numeric target is not served: %v", names(got))
	}
	if got := names(Running(spec)); len(got) != 2 || got[0] != "app" || got[1] != "proxy" {
		t.Errorf("Running = %v, want [app proxy]", got)
	}
	if ContainerList(spec, "proxy") != "initContainers" || ContainerList(spec, "app") != "containers" || ContainerList(spec, "migrate") != "containers" {
		t.Error("ContainerList does not place the sidecar in initContainers")
	}
	// Unresolved ports fall back to the containers that declare ports,
	// sidecars included.
	only := &inventory.PodSpec{InitContainers: spec.InitContainers, Containers: []inventory.Container{{Name: "app"}}}
	if got, resolved := Serving(only, nil); resolved || len(got) != 1 || got[0].Name != "proxy" || !DeclaresPorts(only) {
		t.Errorf("Serving fallback = %v (resolved %v)", names(got), resolved)
	}
}

// A native sidecar gets SIGTERM once its own preStop has ended and the main
// containers have exited: no sooner than the longest of their hooks.
func TestPreStopForSidecar(t *testing.T) {
	spec := sidecarPod()
	proxy := &spec.InitContainers[1]
	if ps := PreStopFor(spec, proxy); !ps.Present || !ps.Known || ps.Seconds != 25 || !ps.AfterMain || ps.From != "app" || ps.Handler != "sleep" {
		t.Errorf("sidecar without a hook: %+v, want the main container's 25 s sleep", ps)
	}
	proxy.Lifecycle = sleepHook(40)
	if ps := PreStopFor(spec, proxy); ps.Seconds != 40 || ps.AfterMain {
		t.Errorf("sidecar with a longer hook: %+v, want its own 40 s", ps)
	}
	proxy.Lifecycle = sleepHook(5)
	if ps := PreStopFor(spec, proxy); ps.Seconds != 25 || !ps.AfterMain {
		t.Errorf("sidecar with a shorter hook: %+v, want the main container's 25 s", ps)
	}
	// A main container is judged by its own hook, whatever the sidecars do.
	if ps := PreStopFor(spec, &spec.Containers[0]); ps.Seconds != 25 || ps.AfterMain {
		t.Errorf("main container: %+v", ps)
	}
	spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/drain"}}}
	proxy.Lifecycle = nil
	if ps := PreStopFor(spec, proxy); !ps.Present || ps.Known || !ps.AfterMain || ps.Handler != "httpGet" {
		t.Errorf("sidecar behind a main hook of unknown length: %+v", ps)
	}
	spec.Containers[0].Lifecycle = nil
	if ps := PreStopFor(spec, proxy); ps.Present {
		t.Errorf("no hook anywhere: %+v", ps)
	}
}
