package webhook_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	goruntime "runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/rules"
	"github.com/zerodrop/zerodrop/pkg/webhook"
	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ktypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// appYAML is one application as the model holds it: a Deployment behind a
// headless Service (a test control plane has 254 Service IPs), an ALB
// Ingress (ip targets) and a budget. %[1]s is its name,
// %[2]s its namespace, %[3]d its replicas. Its findings are the usual ones
// (no preStop, grace period, deregistration delay).
const appYAML = `apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, namespace: %[2]s, labels: {app: %[1]s, team: shop}}
spec:
  replicas: %[3]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s, team: shop, tier: web}}
    spec:
      containers:
      - name: app
        image: example/app:1.2.3
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 5}
        resources: {requests: {cpu: 100m, memory: 128Mi}}
        env: [{name: MODE, value: production}, {name: LOG_LEVEL, value: info}]
---
apiVersion: v1
kind: Service
metadata: {name: %[1]s, namespace: %[2]s, labels: {app: %[1]s}}
spec:
  clusterIP: None
  selector: {app: %[1]s}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %[1]s
  namespace: %[2]s
  annotations: {alb.ingress.kubernetes.io/target-type: ip, alb.ingress.kubernetes.io/scheme: internet-facing}
spec:
  ingressClassName: alb
  rules:
  - host: %[1]s.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: %[1]s, port: {number: 80}}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: %[1]s}}
`

const ingressClassYAML = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: alb}\nspec: {controller: ingress.k8s.aws/alb}\n"

// appObjects returns the objects of app i of namespace ns.
func appObjects(tb testing.TB, ns string, i int, replicas int) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(fmt.Sprintf(appYAML, fmt.Sprintf("app-%d", i), ns, replicas), "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			tb.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func benchEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// reviewKinds are the reviews measured: an update of a Deployment, a
// Service and an Ingress of one application, and a bare Pod of it created.
var reviewKinds = []string{"Deployment", "Service", "Ingress", "Pod"}

// reviewBodies returns the AdmissionReviews of kind for the first n apps
// of ns, as the API server sends them.
func reviewBodies(tb testing.TB, kind, ns string, n int) [][]byte {
	var out [][]byte
	for i := 0; i < n; i++ {
		objs := appObjects(tb, ns, i, 3)
		var u *unstructured.Unstructured
		op := admissionv1.Update
		switch kind {
		case "Deployment":
			u = objs[0]
			_ = unstructured.SetNestedField(u.Object, int64(4), "spec", "replicas")
		case "Service":
			u = objs[1]
		case "Ingress":
			u = objs[2]
		case "Pod":
			op = admissionv1.Create
			tmpl, _, _ := unstructured.NestedMap(objs[0].Object, "spec", "template")
			u = &unstructured.Unstructured{Object: tmpl}
			u.SetAPIVersion("v1")
			u.SetKind("Pod")
			u.SetName(fmt.Sprintf("app-%d-debug", i))
			u.SetNamespace(ns)
		}
		gvk := u.GroupVersionKind()
		raw, _ := json.Marshal(u.Object)
		body, err := json.Marshal(admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
			Request: &admissionv1.AdmissionRequest{
				UID:  "bench",
				Kind: metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
				Resource: metav1.GroupVersionResource{Group: gvk.Group, Version: gvk.Version,
					Resource: strings.ToLower(gvk.Kind) + "s"},
				Namespace: ns, Name: u.GetName(), Operation: op,
				Object: rawExt(raw), OldObject: oldRaw(op, raw),
			},
		})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, body)
	}
	return out
}

func rawExt(b []byte) runtime.RawExtension { return runtime.RawExtension{Raw: b} }

func oldRaw(op admissionv1.Operation, raw []byte) runtime.RawExtension {
	if op == admissionv1.Update {
		return rawExt(raw)
	}
	return runtime.RawExtension{}
}

// The load comes from another process, as the API server's calls do: the
// client's own work (HTTP/2, TLS, decoding the answers, its garbage) is
// then neither counted against the webhook's memory and collections nor
// paused by them. The benchmark starts its own test binary as that client
// (ZD_BENCH_CLIENT=1; see init) and asks it for runs over a pipe.

// clientRun asks the client for one open-loop run; clientResult is its
// answer.
type clientRun struct {
	Bodies  [][]byte
	Rate, N int
}

type clientResult struct {
	// Lat are the latencies in nanoseconds, sorted.
	Lat               []int64
	Took              time.Duration
	Failed, Unchecked int64
	Error             string
}

func init() {
	if os.Getenv("ZD_BENCH_CLIENT") == "1" {
		os.Exit(clientMain())
	}
}

// clientMain serves runs read from stdin against ZD_BENCH_URL, trusting
// the certificate in ZD_BENCH_CA, over one HTTP/2 connection.
func clientMain() int {
	// The client is the measuring instrument: it collects rarely, so its
	// own pauses stay out of the figures.
	debug.SetGCPercent(400)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(os.Getenv("ZD_BENCH_CA"))) {
		fmt.Fprintln(os.Stderr, "ZD_BENCH_CA: no certificate")
		return 2
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	url := os.Getenv("ZD_BENCH_URL")
	in, out := json.NewDecoder(os.Stdin), json.NewEncoder(os.Stdout)
	for {
		var run clientRun
		if err := in.Decode(&run); err != nil {
			if err == io.EOF {
				return 0
			}
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if err := out.Encode(openLoop(client, url, run.Bodies, run.Rate, run.N)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
}

// openLoop sends bodies (chosen at random) at rate per second for n
// reviews, each on its own goroutine at its scheduled time whatever the
// answers before it, over one HTTP/2 TLS connection as the API server
// does, and measures each review's latency from its scheduled send time
// to the end of its answer.
func openLoop(client *http.Client, url string, bodies [][]byte, rate, n int) clientResult {
	if rate <= 0 || n <= 0 || len(bodies) == 0 {
		return clientResult{Error: "nothing to send"}
	}
	lat := make([]int64, n)
	var failed, unchecked atomic.Int64
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		body := bodies[rand.IntN(len(bodies))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				failed.Add(1)
				lat[i] = int64(time.Since(at))
				return
			}
			var out admissionv1.AdmissionReview
			err = json.NewDecoder(res.Body).Decode(&out)
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			lat[i] = int64(time.Since(at))
			if err != nil || out.Response == nil {
				failed.Add(1)
				return
			}
			for _, w := range out.Response.Warnings {
				if strings.Contains(w, "without a check") {
					unchecked.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	slices.Sort(lat)
	return clientResult{Lat: lat, Took: took, Failed: failed.Load(), Unchecked: unchecked.Load()}
}

// loadClient is the client process.
type loadClient struct {
	in  *json.Encoder
	out *json.Decoder
}

// startClient starts the client process for the TLS server srv; it ends
// with the benchmark.
func startClient(b *testing.B, srv *httptest.Server) *loadClient {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	cmd.Env = append(os.Environ(), "ZD_BENCH_CLIENT=1", "ZD_BENCH_URL="+srv.URL, "ZD_BENCH_CA="+string(ca))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	return &loadClient{in: json.NewEncoder(stdin), out: json.NewDecoder(stdout)}
}

// run has the client send one open-loop run and returns its latencies
// with what the webhook process's collector did meanwhile.
func (c *loadClient) run(b *testing.B, bodies [][]byte, rate, n int) loopStats {
	before := readGC()
	if err := c.in.Encode(clientRun{Bodies: bodies, Rate: rate, N: n}); err != nil {
		b.Fatal(err)
	}
	var res clientResult
	if err := c.out.Decode(&res); err != nil {
		b.Fatalf("client: %v", err)
	}
	gc := readGC().minus(before)
	if res.Error != "" {
		b.Fatalf("client: %s", res.Error)
	}
	if res.Failed > 0 {
		b.Fatalf("%d of %d reviews failed", res.Failed, n)
	}
	return loopStats{res: res, gc: gc}
}

// loopStats are one open-loop run's latencies and what the garbage
// collector of the webhook's process did meanwhile.
type loopStats struct {
	res clientResult
	gc  gcStats
}

func (s loopStats) report(b *testing.B) {
	lat := s.res.Lat
	n := len(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(n-1))]) }
	b.ReportMetric(float64(n)/s.res.Took.Seconds(), "reviews/s")
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
	b.ReportMetric(float64(lat[n-1]), "max-ns")
	b.ReportMetric(float64(s.res.Unchecked), "unchecked")
	b.ReportMetric(float64(s.gc.cycles), "gc-cycles")
	b.ReportMetric(s.gc.assist*1e3, "gc-assist-ms")
	b.ReportMetric(s.gc.total*1e3, "gc-cpu-ms")
	b.ReportMetric(float64(s.gc.allocs)/float64(n), "B/review")
}

// measure runs a warm-up of ZD_BENCH_WARMUP reviews (default 500: a
// second at 500/s; memos and the collector's pacing settle) whose
// latencies are not kept, then the measured run of n reviews.
func measure(b *testing.B, c *loadClient, bodies [][]byte, rate, n int) {
	if w := benchEnvInt("ZD_BENCH_WARMUP", 500); w > 0 {
		c.run(b, bodies, rate, w)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.run(b, bodies, rate, n).report(b)
	}
}

// settle brings the webhook's process to a steady state before the first
// row is measured, as a webhook that has served for a while would be in:
// reviews of every kind, at the measured rate, until the collector has run
// twice since the model was loaded (the heap has grown back to its goal
// after the load's forced collections and the memory they returned to the
// system). Without it the first row alone pays for that. Nothing of it is
// measured; each row still has its own warm-up (measure).
func settle(b *testing.B, c *loadClient, bodies [][]byte, rate int) {
	start := readGC()
	for sent := rate; sent <= 20*rate; sent += rate {
		c.run(b, bodies, rate, rate)
		if n := readGC().cycles - start.cycles; n >= 2 {
			b.Logf("settled: %d collections in %d reviews of every kind before the first row", n, sent)
			return
		}
	}
	b.Logf("not settled: fewer than 2 collections in %d reviews before the first row", 20*rate)
}

// gcStats are the collector's counters (runtime/metrics).
type gcStats struct {
	cycles uint64
	// allocs are the bytes allocated on the heap: what a collection is
	// paced by.
	allocs uint64
	// assist is the CPU time goroutines spent marking for the collector
	// instead of their own work; total is all the collector's CPU time
	// (seconds, the runtime's estimates).
	assist, total float64
}

func readGC() gcStats {
	samples := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/cpu/classes/gc/mark/assist:cpu-seconds"}, {Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(samples)
	var s gcStats
	if samples[3].Value.Kind() == metrics.KindUint64 {
		s.allocs = samples[3].Value.Uint64()
	}
	if samples[0].Value.Kind() == metrics.KindUint64 {
		s.cycles = samples[0].Value.Uint64()
	}
	if samples[1].Value.Kind() == metrics.KindFloat64 {
		s.assist = samples[1].Value.Float64()
	}
	if samples[2].Value.Kind() == metrics.KindFloat64 {
		s.total = samples[2].Value.Float64()
	}
	return s
}

func (s gcStats) minus(o gcStats) gcStats {
	return gcStats{cycles: s.cycles - o.cycles, allocs: s.allocs - o.allocs, assist: s.assist - o.assist, total: s.total - o.total}
}

// chartGC gives the benchmark process the garbage collector settings the
// webhook takes in the Helm chart's pod: webhook.TuneGC with the chart's
// memory limit (resources.limits.memory in values.yaml), as the downward
// API passes it. ZD_BENCH_GC=default keeps the runtime's defaults instead
// (for comparison); GOGC or GOMEMLIMIT in the environment win, as in the
// pod.
func chartGC(b *testing.B) {
	if os.Getenv("ZD_BENCH_GC") == "default" {
		b.Log("garbage collector: the runtime's defaults (ZD_BENCH_GC=default)")
		return
	}
	data, err := os.ReadFile("../../deploy/helm/zerodrop/values.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var values struct {
		Resources struct {
			Limits map[string]string `json:"limits"`
		} `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		b.Fatal(err)
	}
	q, err := resource.ParseQuantity(values.Resources.Limits["memory"])
	if err != nil {
		b.Fatalf("values.yaml resources.limits.memory: %v", err)
	}
	b.Setenv(webhook.MemoryLimitEnv, strconv.FormatInt(q.Value(), 10))
	s, ok, err := webhook.TuneGC()
	if err != nil {
		b.Fatal(err)
	}
	if !ok {
		b.Log("garbage collector: GOGC or GOMEMLIMIT from the environment")
		return
	}
	b.Cleanup(func() {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	})
	b.Logf("garbage collector: %s (the chart's limit %s)", s, values.Resources.Limits["memory"])
}

// serveTLS serves the validating handler over src on a loopback TLS
// server speaking HTTP/2, and starts the client process for it.
func serveTLS(b *testing.B, src webhook.Source) *loadClient {
	v := webhook.NewValidator(src, webhook.Options{Check: check.Options{KubeVersion: rules.KubeVersion{Major: 1, Minor: 33}}})
	srv := httptest.NewUnstartedServer(webhook.HTTPHandler(v))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	b.Cleanup(srv.Close)
	return startClient(b, srv)
}

// heapInUse is the heap in use after a collection.
func heapInUse() uint64 {
	goruntime.GC()
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return m.HeapInuse
}

// rssBytes is the process's resident set (VmRSS) and peak (VmHWM).
func rssBytes() (rss, peak uint64) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// BenchmarkLiveReviews measures reviews against the model of a real
// control plane (internal/testenv): namespaces of 10, 100 and 1,000
// applications (Deployment, Service, Ingress, budget each; no pods),
// created through the API server and watched by the webhook's informers;
// reviews of a Deployment, a Service, an Ingress and a bare Pod of a random
// application, open loop at ZD_BENCH_RATE per second (default 500) for
// ZD_BENCH_REVIEWS reviews (default 2500), over TLS and HTTP/2.
func BenchmarkLiveReviews(b *testing.B) {
	env := testenv.Shared(b)
	rate, n := benchEnvInt("ZD_BENCH_RATE", 500), benchEnvInt("ZD_BENCH_REVIEWS", 2500)
	cfg := env.RESTConfig()
	cfg.QPS, cfg.Burst = 2000, 4000
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sizes := []int{10, 100, 1000}
	namespaces := map[int]string{}
	ic := &unstructured.Unstructured{}
	_ = yaml.Unmarshal([]byte(ingressClassYAML), &ic.Object)
	if _, err := dyn.Resource(schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingressclasses"}).Create(context.Background(), ic, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		b.Fatal(err)
	}
	began := time.Now()
	for _, size := range sizes {
		ns := env.Namespace(b)
		namespaces[size] = ns
		populate(b, dyn, ns, size)
	}
	b.Logf("created %d applications in %s", 1110, time.Since(began).Round(time.Second))
	// The controller-manager shares the cores: every row is measured after
	// it has finished with the objects just created, not the first rows
	// while it still works through them.
	began = time.Now()
	waitReconciled(b, dyn, namespaces)
	b.Logf("controllers caught up in %s", time.Since(began).Round(time.Second))
	chartGC(b)

	before := heapInUse()
	src := startModel(b, servedKinds(b, cfg), webhook.DynamicListerWatcher(dyn), dyn)
	b.Logf("model: %d objects, heap %+d MiB", src.Len(), (int64(heapInUse())-int64(before))>>20)
	client := serveTLS(b, src)
	var all [][]byte
	for _, kind := range reviewKinds {
		all = append(all, reviewBodies(b, kind, namespaces[sizes[0]], sizes[0])...)
	}
	settle(b, client, all, rate)
	for _, size := range sizes {
		for _, kind := range reviewKinds {
			bodies := reviewBodies(b, kind, namespaces[size], size)
			b.Run(fmt.Sprintf("apps=%d/%s", size, kind), func(b *testing.B) {
				measure(b, client, bodies, rate, n)
			})
		}
	}
	// Deleting 1,110 applications keeps the controller-manager busy for
	// seconds; done here and waited for, that work does not fall into the
	// next benchmark's rows.
	began = time.Now()
	deleteNamespaces(b, dyn, namespaces)
	b.Logf("namespaces of the live rows deleted in %s", time.Since(began).Round(time.Second))
}

// deleteNamespaces deletes the namespaces and waits until the control plane
// has removed them with everything in them.
func deleteNamespaces(b *testing.B, dyn dynamic.Interface, namespaces map[int]string) {
	nsr := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"})
	for _, ns := range namespaces {
		if err := nsr.Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Minute)
	for _, ns := range namespaces {
		for {
			_, err := nsr.Get(context.Background(), ns, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			if time.Now().After(deadline) {
				b.Fatalf("namespace %s is still there 5 minutes after its deletion", ns)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}

// waitReconciled waits until the controller-manager has observed every
// Deployment and PodDisruptionBudget of the namespaces (its status says so:
// observedGeneration), that is, has created their ReplicaSets and written
// their status, all of which the webhook's informers receive.
func waitReconciled(b *testing.B, dyn dynamic.Interface, namespaces map[int]string) {
	gvrs := []schema.GroupVersionResource{
		{Group: "apps", Version: "v1", Resource: "deployments"},
		{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		pending := 0
		for _, ns := range namespaces {
			for _, gvr := range gvrs {
				list, err := dyn.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{})
				if err != nil {
					b.Fatal(err)
				}
				for _, u := range list.Items {
					observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
					if observed < u.GetGeneration() {
						pending++
					}
				}
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the controller-manager has not observed %d objects after 5 minutes", pending)
		}
		time.Sleep(time.Second)
	}
}

// startModel runs the webhook's model over lw until the benchmark ends and
// returns it filled.
func startModel(b *testing.B, kinds []webhook.Kind, lw webhook.ListerWatcherFunc, live dynamic.Interface) *webhook.InformerSource {
	src, err := webhook.NewInformerSource(kinds, lw, live)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	src.Start(ctx)
	syncCtx, stop := context.WithTimeout(ctx, 5*time.Minute)
	defer stop()
	if !src.WaitForSync(syncCtx) {
		b.Fatal("informers did not sync within 5 minutes")
	}
	return src
}

// servedKinds are the webhook's kinds the test control plane serves, as
// the webhook itself picks them: the optional custom resources are not
// installed there.
func servedKinds(b *testing.B, cfg *rest.Config) []webhook.Kind {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	kinds, notes, err := webhook.ServedKinds(restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range notes {
		b.Log(n)
	}
	return kinds
}

// populate creates size applications in ns through the API server.
func populate(b *testing.B, dyn dynamic.Interface, ns string, size int) {
	gvr := map[string]schema.GroupVersionResource{
		"Deployment":          {Group: "apps", Version: "v1", Resource: "deployments"},
		"Service":             {Version: "v1", Resource: "services"},
		"Ingress":             {Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"},
		"PodDisruptionBudget": {Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
	}
	work := make(chan *unstructured.Unstructured)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				if _, err := dyn.Resource(gvr[u.GetKind()]).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < size; i++ {
		for _, u := range appObjects(b, ns, i, 0) {
			work <- u
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

// BenchmarkModel10000 loads the webhook's model (the same informers,
// indexes and compact objects as against a cluster) from 10,000 generated
// applications in 100 namespaces, in-process: a test control plane on a
// small machine does not hold that many. It reports the heap the model
// takes and the process's resident memory, then measures reviews in a
// namespace of 100 applications over TLS and HTTP/2 at ZD_BENCH_RATE.
func BenchmarkModel10000(b *testing.B) {
	rate, n := benchEnvInt("ZD_BENCH_RATE", 500), benchEnvInt("ZD_BENCH_REVIEWS", 2500)
	const namespaces, perNamespace = 100, 100
	generate := func(k webhook.Kind, yield func(*unstructured.Unstructured)) {
		switch k.Kind {
		case "Namespace":
			for i := 0; i < namespaces; i++ {
				u := &unstructured.Unstructured{}
				u.SetAPIVersion("v1")
				u.SetKind("Namespace")
				u.SetName(fmt.Sprintf("ns-%d", i))
				u.SetUID(ktypes.UID(fmt.Sprintf("ns-%d", i)))
				u.SetResourceVersion("1")
				u.SetLabels(map[string]string{"kubernetes.io/metadata.name": u.GetName()})
				yield(u)
			}
		case "IngressClass":
			u := &unstructured.Unstructured{}
			_ = yaml.Unmarshal([]byte(ingressClassYAML), &u.Object)
			yield(u)
		}
		index := map[string]int{"Deployment": 0, "Service": 1, "Ingress": 2, "PodDisruptionBudget": 3}
		if i, ok := index[k.Kind]; ok {
			for ns := 0; ns < namespaces; ns++ {
				for a := 0; a < perNamespace; a++ {
					u := appObjects(b, fmt.Sprintf("ns-%d", ns), a, 3)[i]
					u.SetUID(ktypes.UID(fmt.Sprintf("%s-%d-%d", k.Kind, ns, a)))
					u.SetResourceVersion("1")
					yield(u)
				}
			}
		}
	}
	chartGC(b)
	before := heapInUse()
	src := startModel(b, webhook.Kinds, webhook.StaticListerWatcher(generate), nil)
	model := int64(heapInUse()) - int64(before)
	debug.FreeOSMemory()
	rss, peak := rssBytes()
	b.Logf("model of %d applications: %d objects, heap %d MiB; process RSS %d MiB, peak %d MiB",
		namespaces*perNamespace, src.Len(), model>>20, rss>>20, peak>>20)
	client := serveTLS(b, src)
	var all [][]byte
	for _, kind := range reviewKinds {
		all = append(all, reviewBodies(b, kind, "ns-7", perNamespace)...)
	}
	settle(b, client, all, rate)
	for _, kind := range reviewKinds {
		bodies := reviewBodies(b, kind, "ns-7", perNamespace)
		b.Run("reviews/"+kind, func(b *testing.B) {
			measure(b, client, bodies, rate, n)
			b.ReportMetric(float64(model), "model-heap-bytes")
			_, peak := rssBytes()
			b.ReportMetric(float64(peak), "peak-rss-bytes")
		})
	}
	debug.FreeOSMemory()
	rss, peak = rssBytes()
	b.Logf("after the reviews: process RSS %d MiB, peak %d MiB", rss>>20, peak>>20)
}
