package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// benchNamespace is a typical namespace as the cache holds it: the
// Deployment's own Service, Ingress and budget, and ten more applications
// with theirs.
func benchNamespace(b testing.TB) *StaticSource {
	src := NewStaticSource(obj(b, namespaceYAML), obj(b, serviceYAML), obj(b, ingressYAML), obj(b, pdbYAML),
		obj(b, "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: alb}\nspec: {controller: ingress.k8s.aws/alb}\n"))
	for i := 0; i < 10; i++ {
		rename := func(u *unstructured.Unstructured) *unstructured.Unstructured {
			u.SetName(fmt.Sprintf("app%d", i))
			return u
		}
		d := rename(obj(b, deploymentYAML))
		sel := map[string]any{"app": d.GetName()}
		_ = unstructured.SetNestedMap(d.Object, sel, "spec", "selector", "matchLabels")
		_ = unstructured.SetNestedMap(d.Object, sel, "spec", "template", "metadata", "labels")
		s := rename(obj(b, serviceYAML))
		_ = unstructured.SetNestedMap(s.Object, sel, "spec", "selector")
		p := rename(obj(b, pdbYAML))
		_ = unstructured.SetNestedMap(p.Object, sel, "spec", "selector", "matchLabels")
		ing := rename(obj(b, ingressYAML))
		_ = unstructured.SetNestedField(ing.Object, d.GetName(), "spec", "defaultBackend", "service", "name")
		for _, o := range []*unstructured.Unstructured{d, s, p, ing} {
			src.Add(o)
		}
	}
	return src
}

// reviewBody is an AdmissionReview as the API server sends it.
func reviewBody(b *testing.B, req admission.Request) []byte {
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  &req.AdmissionRequest,
	})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// latencies collects per-review durations and reports percentiles.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	at := func(q float64) float64 { return float64(l.d[int(q*float64(len(l.d)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
}

// BenchmarkHandler measures one admission review of a typical Deployment
// (and of a Service, which is checked against the workloads it may
// affect): in-process, then over TLS on loopback one after another, then
// over TLS at a fixed 500 reviews/s (open loop: a slow answer does not
// slow the sender). p50-ns and p99-ns are latency percentiles; reviews/s
// is the rate achieved.
func BenchmarkHandler(b *testing.B) {
	src := benchNamespace(b)
	ctx := context.Background()
	deploy := request(b, admissionv1.Create, obj(b, deploymentYAML), nil)
	service := request(b, admissionv1.Update, obj(b, serviceYAML), obj(b, serviceYAML))
	v := NewValidator(src, testOptions())
	m := NewMutator(src, testOptions())
	if resp := v.Handle(ctx, deploy); len(resp.Warnings) == 0 {
		b.Fatal("the typical Deployment has no findings; the benchmark would measure a shortcut")
	}

	inProcess := func(name string, h admission.Handler, req admission.Request) {
		b.Run("inprocess/"+name, func(b *testing.B) {
			var l latencies
			b.ReportAllocs()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				t := time.Now()
				h.Handle(ctx, req)
				l.add(time.Since(t))
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reviews/s")
			l.report(b)
		})
	}
	inProcess("validate-deployment", v, deploy)
	inProcess("validate-service", v, service)
	inProcess("mutate-deployment", m, deploy)
	// serve: the whole server side of one review as the API server sends
	// it, without the network: the AdmissionReview decoded, checked, the
	// answer encoded. Its B/op is what one review allocates, which at a
	// fixed rate sets how often the garbage collector runs.
	serve := func(name string, h admission.Handler, req admission.Request) {
		wh := HTTPHandler(h)
		body := reviewBody(b, req)
		b.Run("serve/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r, err := http.NewRequestWithContext(ctx, http.MethodPost, ValidatePath, bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				wh.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
	serve("validate-deployment", v, deploy)
	serve("validate-service", v, service)
	b.Run("inprocess/validate-deployment-parallel", func(b *testing.B) {
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				v.Handle(ctx, deploy)
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reviews/s")
	})

	srv := httptest.NewUnstartedServer(HTTPHandler(v))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	client := srv.Client()
	body := reviewBody(b, deploy)
	post := func() error {
		res, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var out admissionv1.AdmissionReview
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			return err
		}
		if out.Response == nil || len(out.Response.Warnings) == 0 {
			return fmt.Errorf("unexpected response %+v", out.Response)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		return nil
	}
	if err := post(); err != nil {
		b.Fatal(err)
	}
	b.Run("tls/validate-deployment", func(b *testing.B) {
		var l latencies
		start := time.Now()
		for i := 0; i < b.N; i++ {
			t := time.Now()
			if err := post(); err != nil {
				b.Fatal(err)
			}
			l.add(time.Since(t))
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reviews/s")
		l.report(b)
	})
	b.Run("tls-500rps/validate-deployment", func(b *testing.B) {
		const rate = 500
		var l latencies
		var wg sync.WaitGroup
		errs := make(chan error, 1)
		tick := time.NewTicker(time.Second / rate)
		defer tick.Stop()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			<-tick.C
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := time.Now()
				if err := post(); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				l.add(time.Since(t))
			}()
		}
		wg.Wait()
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reviews/s")
		l.report(b)
	})
}
