package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/pkg/verify"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// flaky answers 503 to requests 20-29 and counts what it served.
func flaky(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		if i > 20 && i <= 30 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func decodeReport(t *testing.T, s string) verify.Report {
	t.Helper()
	var r verify.Report
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, s)
	}
	return r
}

func TestVerifyUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"verify"},
		{"verify", "--url", "ftp://x/"},
		{"verify", "--url", "http://127.0.0.1:1/", "--rps", "0"},
		{"verify", "--url", "http://127.0.0.1:1/", "-H", "no-colon"},
		{"verify", "--url", "http://127.0.0.1:1/", "-o", "yaml"},
		{"verify", "--url", "http://127.0.0.1:1/", "--rollout", "statefulset/db"},
		{"verify", "--url", "http://127.0.0.1:1/", "--body", "@/does/not/exist"},
		{"verify", "report"},
		{"verify", "report", "/does/not/exist.jsonl"},
	} {
		code, _, stderr := run(t, "", args...)
		if code != ExitInput || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}

// TestVerifyRunAndRemake: a short run with a stretch of 503s fails with exit
// 1, writes JSONL and HTML, and `verify report` makes the same JSON from the
// JSONL file.
func TestVerifyRunAndRemake(t *testing.T) {
	srv, served := flaky(t)
	dir := t.TempDir()
	out, html := filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "run.html")
	code, stdout, stderr := run(t, "", "verify", "--url", srv.URL+"/x", "--rps", "50", "--duration", "1s",
		"-H", "X-Probe: 1", "--out", out, "--report", html, "-o", "json")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr is not a terminal, yet: %q", stderr)
	}
	rep := decodeReport(t, stdout)
	if rep.SchemaVersion != "1" || rep.Requests.Total != 50 || rep.Requests.Failed != 10 || rep.Errors["http_503"] != 10 ||
		served.Load() != 50 || len(rep.Windows) != 1 || rep.Windows[0].Count != 10 || rep.Passed {
		t.Errorf("report %+v", rep)
	}
	if rep.Rate.Target != 50 || rep.Rate.Achieved < 45 || rep.Rate.Achieved > 52 {
		t.Errorf("rate %+v", rep.Rate)
	}

	code2, stdout2, _ := run(t, "", "verify", "report", out, "-o", "json")
	if code2 != ExitFindings || stdout2 != stdout {
		t.Errorf("verify report: exit %d, JSON differs:\n%s\nwant:\n%s", code2, stdout2, stdout)
	}
	// More errors allowed: the same file passes.
	if code, text, _ := run(t, "", "verify", "report", out, "--max-errors", "10"); code != 0 || !strings.Contains(text, "PASS") {
		t.Errorf("--max-errors 10: exit %d\n%s", code, text)
	}
	page, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(page, []byte("<svg")) || bytes.Contains(page, []byte("<script")) {
		t.Errorf("HTML report: %v", err)
	}
}

func TestVerifyTextPasses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	code, stdout, _ := run(t, "", "verify", "--url", srv.URL, "--rps", "20", "--duration", "500ms")
	if code != 0 || !strings.Contains(stdout, "10 total, 10 ok, 0 failed") || !strings.Contains(stdout, "PASS") {
		t.Errorf("exit %d\n%s", code, stdout)
	}
}

// TestVerifyInterrupt: cancelling the run (what Ctrl-C does) stops the
// traffic, and the JSONL file and the report still come out, with counts
// that match what the server saw.
func TestVerifyInterrupt(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		served.Add(1)
	}))
	defer srv.Close()
	dir := t.TempDir()
	f := verifyFlags{url: srv.URL, rps: 100, duration: 20 * time.Second, concurrency: 100, keepAlive: true,
		method: "GET", timeout: 5 * time.Second, output: "json", out: filepath.Join(dir, "run.jsonl"),
		reportHTML: filepath.Join(dir, "run.html")}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	var stdout, stderr bytes.Buffer
	t0 := time.Now()
	if err := f.run(ctx, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("stopping took %v", d)
	}
	rep := decodeReport(t, stdout.String())
	if !rep.Interrupted || rep.EndReason != "interrupted" {
		t.Errorf("interrupted %v, reason %q", rep.Interrupted, rep.EndReason)
	}
	if n := rep.Requests.Total; n < 50 || n > 120 || int64(n) != served.Load() || rep.Requests.OK != n || rep.Requests.Failed != 0 {
		t.Errorf("requests %+v, server saw %d; want about 100, equal", rep.Requests, served.Load())
	}
	// One line per request in the file, plus meta and end.
	fh, err := os.Open(f.out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	lines, reqs := 0, 0
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		lines++
		if strings.Contains(sc.Text(), `"type":"request"`) {
			reqs++
		}
	}
	if reqs != rep.Requests.Total || lines != reqs+2 {
		t.Errorf("file has %d lines, %d requests; report says %d", lines, reqs, rep.Requests.Total)
	}
	if _, err := os.Stat(f.reportHTML); err != nil {
		t.Errorf("HTML report: %v", err)
	}
}

func TestVerifyProgressBar(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	on := true
	f := verifyFlags{url: srv.URL, rps: 50, duration: 600 * time.Millisecond, concurrency: 10, keepAlive: true,
		method: "GET", timeout: time.Second, output: "text", progress: &on}
	var stdout, stderr bytes.Buffer
	if err := f.run(context.Background(), &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "ok ") || !strings.Contains(stderr.String(), "failed 0") {
		t.Errorf("progress output %q", stderr.String())
	}
}

// TestVerifyRollout runs the whole command with --rollout against
// k8s.io/client-go/kubernetes/fake (the watcher itself is also tested on a
// real control plane, in pkg/verify/rollout). A reactor plays the
// Deployment controller: when the restart patch arrives it replaces the one
// pod.
func TestVerifyRollout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()

	labels := map[string]string{"app": "web"}
	one := int32(1)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}}},
		Status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1},
	}
	mkPod := func(name string, ready bool) *corev1.Pod {
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: labels},
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}}}
	}
	client := fake.NewClientset([]runtime.Object{dep, mkPod("web-old", true),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}, Spec: corev1.ServiceSpec{Selector: labels}}}...)
	var patched atomic.Bool
	client.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if patched.Swap(true) {
			return false, nil, nil
		}
		go func() {
			ctx := context.Background()
			pods := client.CoreV1().Pods("shop")
			time.Sleep(100 * time.Millisecond)
			pods.Create(ctx, mkPod("web-new", false), metav1.CreateOptions{})
			time.Sleep(100 * time.Millisecond)
			pods.Update(ctx, mkPod("web-new", true), metav1.UpdateOptions{})
			d, _ := client.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{})
			d.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}
			client.AppsV1().Deployments("shop").UpdateStatus(ctx, d, metav1.UpdateOptions{})
			old := mkPod("web-old", false)
			now := metav1.Now()
			old.DeletionTimestamp = &now
			pods.Update(ctx, old, metav1.UpdateOptions{})
			time.Sleep(100 * time.Millisecond)
			pods.Delete(ctx, "web-old", metav1.DeleteOptions{})
		}()
		return false, nil, nil
	})
	saved := newKubeClient
	defer func() { newKubeClient = saved }()
	newKubeClient = func(kubeconfig, kubeContext, namespace string) (kubernetes.Interface, string, error) {
		if namespace != "shop" || kubeContext != "test" {
			t.Errorf("namespace %q, context %q", namespace, kubeContext)
		}
		return client, namespace, nil
	}

	out := filepath.Join(t.TempDir(), "run.jsonl")
	code, stdout, stderr := run(t, "", "verify", "--url", srv.URL, "--rps", "50", "--rollout", "deployment/web",
		"-n", "shop", "--context", "test", "--warmup", "300ms", "--settle", "300ms", "-o", "json", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	rep := decodeReport(t, stdout)
	var reasons []string
	for _, e := range rep.Events {
		reasons = append(reasons, e.Kind+":"+e.Reason)
	}
	got := strings.Join(reasons, " ")
	for _, want := range []string{"rollout:restart", "pod:created", "pod:ready", "rollout:complete", "pod:terminating", "pod:deleted", "rollout:settled"} {
		if !strings.Contains(got, want) {
			t.Errorf("events lack %s: %s", want, got)
		}
	}
	ro := rep.Rollout
	if ro == nil || ro.Workload != "deployment/web" || ro.Namespace != "shop" || ro.StartS == nil || ro.SettledS == nil ||
		*ro.StartS < 0.2 || *ro.SettledS < *ro.StartS {
		t.Fatalf("rollout %+v", ro)
	}
	// Traffic went on for --settle after the rollout settled.
	if rep.DurationS < *ro.SettledS+0.25 {
		t.Errorf("traffic stopped at %.2fs, settled at %.2fs, --settle 300ms", rep.DurationS, *ro.SettledS)
	}
	if rep.Requests.Failed != 0 || rep.Requests.Total < 30 {
		t.Errorf("requests %+v", rep.Requests)
	}
	if _, again, _ := run(t, "", "verify", "report", out, "-o", "json"); again != stdout {
		t.Error("verify report of a rollout run differs from the run's report")
	}

	// A Deployment that does not exist stops the run before any traffic.
	code, _, stderr = run(t, "", "verify", "--url", srv.URL, "--rollout", "deployment/nope", "-n", "shop", "--context", "test")
	if code != ExitInput || !strings.Contains(stderr, "deployment/nope") {
		t.Errorf("missing deployment: exit %d, %s", code, stderr)
	}
}
