package audit_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/cli"
	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/pkg/check"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"encoding/json"

	"github.com/zerodrop/zerodrop/pkg/audit"
)

// kubeconfig writes a kubeconfig for server with the given cluster and user
// fields (YAML lines, already indented by the caller's map) and returns its
// path.
func kubeconfig(t *testing.T, server string, cluster, user map[string]string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: %s\n", server)
	for k, v := range cluster {
		fmt.Fprintf(&b, "    %s: %s\n", k, v)
	}
	b.WriteString("users:\n- name: someone\n  user:\n")
	if len(user) == 0 {
		b.WriteString("    {}\n")
	}
	for k, v := range user {
		fmt.Fprintf(&b, "    %s: %s\n", k, v)
	}
	b.WriteString("contexts:\n- name: lab\n  context: {cluster: lab, user: someone, namespace: default}\ncurrent-context: lab\n")
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// runAudit runs the CLI and returns its exit code, stdout and stderr.
func runAudit(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Main(append([]string{"audit"}, args...), nil, &out, &errb)
	return code, out.String(), errb.String()
}

// oneError checks that the audit ended with exit 2 and exactly one error
// line, and that it says each of want.
func oneError(t *testing.T, code int, stdout, stderr string, want ...string) {
	t.Helper()
	if code != cli.ExitInput {
		t.Errorf("exit %d, want %d", code, cli.ExitInput)
	}
	if stdout != "" {
		t.Errorf("a report although the cluster was not read:\n%s", stdout)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 {
		t.Errorf("want one error line, got %d:\n%s", len(lines), stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("error lacks %q:\n%s", w, stderr)
		}
	}
}

// A server that accepts connections and never answers: the audit ends at
// its --timeout with one error, instead of waiting out a call timeout per
// call.
func TestHungServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never read
		}
	}()
	kc := kubeconfig(t, "https://"+l.Addr().String(), map[string]string{"insecure-skip-tls-verify": "true"}, map[string]string{"token": "abc"})
	began := time.Now()
	code, stdout, stderr := runAudit("--kubeconfig", kc, "-n", "shop", "--timeout", "2s")
	took := time.Since(began)
	oneError(t, code, stdout, stderr, "cluster lab", l.Addr().String(), "no answer from the API server within 2s", "--timeout")
	if took > 15*time.Second {
		t.Errorf("took %s with --timeout 2s", took)
	}
}

// Without any kubeconfig, and not in a pod, the audit says where it looked
// instead of trying http://localhost:8080.
func TestNoKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	os.Unsetenv("KUBECONFIG")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	os.Unsetenv("KUBERNETES_SERVICE_HOST")
	// client-go reads the home directory once, at start.
	if _, err := os.Stat(clientcmd.RecommendedHomeFile); err == nil {
		t.Skipf("%s exists: this machine has a kubeconfig", clientcmd.RecommendedHomeFile)
	}
	code, stdout, stderr := runAudit("-n", "shop")
	oneError(t, code, stdout, stderr, "no kubeconfig found", clientcmd.RecommendedHomeFile, "$KUBECONFIG (not set)", "in-cluster")
	if strings.Contains(stderr, "localhost:8080") {
		t.Errorf("fell back to localhost:8080:\n%s", stderr)
	}
}

// Each way of failing to reach a real API server ends the audit with one
// error naming the cluster, the cause and the fix.
func TestConnectionFailures(t *testing.T) {
	env := testenv.Shared(t)
	ca := map[string]string{"certificate-authority-data": b64(env.CACertPEM)}

	otherCA := selfSignedCA(t)
	expiredCert, expiredKey, err := env.IssueClientCert("old-admin", []string{"system:masters"}, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	for _, tc := range []struct {
		name string
		kc   string
		want []string
	}{{
		name: "wrong CA",
		kc:   kubeconfig(t, env.APIServerURL, map[string]string{"certificate-authority-data": b64(otherCA)}, map[string]string{"token": "abc"}),
		want: []string{"not signed by the CA the kubeconfig trusts", "certificate-authority"},
	}, {
		name: "bad token",
		kc:   kubeconfig(t, env.APIServerURL, ca, map[string]string{"token": "not-a-token"}),
		want: []string{"rejected the credentials (401 Unauthorized, token)", "log in again"},
	}, {
		name: "expired client certificate",
		kc:   kubeconfig(t, env.APIServerURL, ca, map[string]string{"client-certificate-data": b64(expiredCert), "client-key-data": b64(expiredKey)}),
		want: []string{"client certificate (CN=old-admin,O=system:masters) expired at", "get a new one"},
	}, {
		name: "connection refused",
		kc:   kubeconfig(t, "https://"+closedAddr, ca, map[string]string{"token": "abc"}),
		want: []string{"cannot connect to the API server", "connection refused", "reachable"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runAudit("--kubeconfig", tc.kc, "-n", "default")
			oneError(t, code, stdout, stderr, append([]string{"cluster lab"}, tc.want...)...)
		})
	}
}

func selfSignedCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// A ServiceAccount that may view one namespace (the stock view ClusterRole
// bound there) audits it: no cluster-wide list, the optional and
// cluster-scoped kinds it cannot read noted once each, the live
// readiness-gate findings kept, and the exit code set by the findings.
func TestNamespaceViewer(t *testing.T) {
	env := testenv.Shared(t)
	c := env.Client()
	ctx := context.Background()
	ns := env.Namespace(t)
	exposedApp(t, c, ns, "web", 2)
	labelNamespace(t, c, ns) // after the pods: they lack the gate

	if _, err := c.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "auditor"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "auditor-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "auditor", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The stock view ClusterRole is made by the API server at start-up.
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := c.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
		return err == nil, nil
	}); err != nil {
		t.Fatal("no view ClusterRole")
	}
	tok, err := c.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "auditor", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kc := kubeconfig(t, env.APIServerURL, map[string]string{"certificate-authority-data": b64(env.CACertPEM)}, map[string]string{"token": tok.Status.Token})

	// The account really cannot list cluster-wide.
	if _, stderr, err := env.Kubectl("--kubeconfig", kc, "get", "namespaces"); err == nil {
		t.Fatalf("the account may list namespaces: the test would prove nothing (%s)", stderr)
	}

	code, stdout, stderr := runAudit("--kubeconfig", kc, "-n", ns, "-o", "json")
	if code != cli.ExitFindings {
		t.Errorf("exit %d, want %d (findings)\n%s", code, cli.ExitFindings, stderr)
	}
	var res check.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	if len(res.Errors) > 0 {
		t.Errorf("errors with view rights in the namespace: %+v", res.Errors)
	}
	notes := strings.Join(res.Assumptions, "\n")
	for _, want := range []string{
		"ingressclasses.networking.k8s.io not readable with these permissions",
		"targetgroupbindings.elbv2.k8s.aws not installed",
		"ingressclassparams.elbv2.k8s.aws not installed",
		"rollouts.argoproj.io not installed",
	} {
		if strings.Count(notes, want) != 1 {
			t.Errorf("want the note %q once:\n%s", want, notes)
		}
	}
	gate := findings(&res, "ZD002")
	if !strings.Contains(strings.Join(gate, "\n"), "2 of 2 pods") {
		t.Errorf("the live readiness-gate finding is lost: %q", gate)
	}
	for _, f := range res.Findings {
		if strings.Contains(f.Message, "not in the input") {
			t.Errorf("false finding from an unread namespace: %s", f.Message)
		}
	}
}

// A pod whose load balancer gate condition was never set, long after it
// started, is reported as stuck.
func TestGateNeverSet(t *testing.T) {
	env := testenv.Shared(t)
	c := env.Client()
	ctx := context.Background()
	ns := env.Namespace(t)
	labelNamespace(t, c, ns)
	exposedApp(t, c, ns, "web", 1)
	// A second Deployment whose pods carry the gate, as the controller's
	// webhook would inject it; nobody ever sets the condition.
	gate := corev1.PodConditionType(audit.GateConditionPrefix + "k8s-web-0123456789")
	// The deployment controller writes the object too: retry on conflict.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := c.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Template.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: gate}}
		_, err = c.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Wait for a gated pod to exist and start.
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, p := range pods.Items {
			if len(p.Spec.ReadinessGates) > 0 && p.Status.StartTime != nil {
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		t.Fatalf("no gated pod started: %v", err)
	}
	var _ appsv1.Deployment
	cl := clients(t, env.RESTConfig())
	now := time.Now()
	res, err := audit.Run(ctx, cl, audit.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(findings(res, "ZD002"), "\n"), "never set") {
		t.Errorf("a gate unset for seconds reported stuck: %q", findings(res, "ZD002"))
	}
	res, err = audit.Run(ctx, cl, audit.Options{Namespace: ns, Now: func() time.Time { return now.Add(10 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(findings(res, "ZD002"), "\n")
	if !strings.Contains(got, "condition "+string(gate)+" never set, pod started") {
		t.Errorf("a gate never set for 10 minutes not reported stuck: %q", got)
	}
}
