package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// BinEnv names the environment variable that points at the directory with
// the control-plane binaries, as printed by tools/testenv/build.sh.
const BinEnv = "ZERODROP_TESTENV_BIN"

// Names of the binaries. Start needs the first five; Kubectl needs kubectl.
const (
	binEtcd       = "etcd"
	binAPIServer  = "kube-apiserver"
	binController = "kube-controller-manager"
	binScheduler  = "kube-scheduler"
	binKwok       = "kwok"
	binKubectl    = "kubectl"
)

var requiredBinaries = []string{binEtcd, binAPIServer, binController, binScheduler, binKwok}

// Node labels and annotations.
const (
	// FakeNodeAnnotation marks the nodes kwok manages. Nodes a test creates
	// with it become Ready and run pods like the ones Start creates.
	FakeNodeAnnotation = "kwok.x-k8s.io/node"
	fakeNodeValue      = "fake"

	// ZoneLabel is the well-known zone label; Start spreads nodes over
	// Options.Zones with it.
	ZoneLabel   = "topology.kubernetes.io/zone"
	regionLabel = "topology.kubernetes.io/region"
)

// ServiceCIDR is the range of Service cluster IPs; the API server's own
// Service is at its first address.
const ServiceCIDR = "10.0.0.0/24"

// podCIDR is where kwok takes pod IPs from; distinct from ServiceCIDR.
const podCIDR = "10.244.0.0/16"

// Options configure Start. The zero value is ready to use.
type Options struct {
	// BinDir is the directory holding the binaries. Empty means the
	// directory named by ZERODROP_TESTENV_BIN, else the last build of
	// tools/testenv/build.sh in the user cache directory.
	BinDir string

	// Nodes is the number of fake nodes to create; 0 means 3.
	Nodes int

	// Zones are the values of topology.kubernetes.io/zone, given to the
	// nodes in turn; empty means us-east-1a and us-east-1b.
	Zones []string

	// Timeout bounds the whole start-up; 0 means 2 minutes. A start on an
	// idle machine takes a few seconds.
	Timeout time.Duration

	// KeepDir keeps the working directory (logs, certificates, etcd data)
	// after Stop. It is also kept when ZERODROP_TESTENV_KEEP is set.
	KeepDir bool
}

// Env is a running control plane: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok, all on 127.0.0.1.
type Env struct {
	// Kubeconfig is the path of a kubeconfig file with cluster-admin
	// rights (a client certificate in group system:masters).
	Kubeconfig string
	// APIServerURL is the API server's address, https://127.0.0.1:PORT.
	APIServerURL string
	// CACertPEM is the certificate authority that signed the API server's
	// certificate and the certificates from IssueServingCert. It is the
	// caBundle for webhook configurations.
	CACertPEM []byte
	// Dir is the working directory: logs (*.log), certificates, etcd data.
	Dir string
	// BinDir is the directory the binaries were taken from.
	BinDir string
	// Nodes are the names of the fake nodes.
	Nodes []string

	ca         *authority
	restConfig *rest.Config
	client     kubernetes.Interface
	launcher   *launcher
	keepDir    bool

	mu        sync.Mutex
	procs     []*process // in start order
	apiserver *process
	stopped   bool
}

// Start starts a control plane and returns when its nodes are Ready and
// untainted and the default ServiceAccount exists. On failure nothing is left
// running and the error carries the tail of every log.
func Start(ctx context.Context, opts Options) (*Env, error) {
	// A free port can be taken by another process between the moment it is
	// picked and the moment a child binds it; start again on new ports then.
	for attempt := 1; ; attempt++ {
		env, err := start(ctx, opts)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return env, err
		}
	}
}

func start(ctx context.Context, opts Options) (env *Env, err error) {
	began := time.Now()
	if opts.Nodes <= 0 {
		opts.Nodes = 3
	}
	if len(opts.Zones) == 0 {
		opts.Zones = []string{"us-east-1a", "us-east-1b"}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	binDir := opts.BinDir
	if binDir == "" {
		binDir, err = FindBinDir()
		if err != nil {
			return nil, err
		}
	} else if err := checkBinDir(binDir); err != nil {
		return nil, err
	}

	dir, err := os.MkdirTemp("", "zerodrop-testenv-")
	if err != nil {
		return nil, err
	}
	e := &Env{
		Dir:      dir,
		BinDir:   binDir,
		launcher: newLauncher(),
		keepDir:  opts.KeepDir || os.Getenv("ZERODROP_TESTENV_KEEP") != "",
	}
	defer func() {
		if err != nil {
			tails := logTails(e.procs, 30)
			e.keepDir = true
			e.Stop()
			err = fmt.Errorf("testenv: start after %s: %w\nlogs are in %s%s",
				time.Since(began).Round(time.Millisecond), err, dir, tails)
			env = nil
		}
	}()

	if err := e.writePKI(); err != nil {
		return nil, err
	}
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	e.APIServerURL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	e.restConfig.Host = e.APIServerURL
	if err := e.writeKubeconfig(); err != nil {
		return nil, err
	}
	if e.client, err = kubernetes.NewForConfig(e.restConfig); err != nil {
		return nil, err
	}

	etcd := e.newProcess(binEtcd,
		"--name=testenv",
		"--data-dir="+e.path("etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=testenv="+peerURL,
		"--initial-cluster-state=new",
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err := etcd.start(e.launcher); err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, etcd, &http.Client{Timeout: 5 * time.Second}, etcdURL+"/health"); err != nil {
		return nil, err
	}

	e.apiserver = e.newProcess(binAPIServer,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(ports[2]),
		"--cert-dir="+e.path("apiserver"),
		"--tls-cert-file="+e.path("apiserver.crt"),
		"--tls-private-key-file="+e.path("apiserver.key"),
		"--client-ca-file="+e.path("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+e.path("sa.pub"),
		"--service-account-signing-key-file="+e.path("sa.key"),
		"--service-cluster-ip-range="+ServiceCIDR,
		"--authorization-mode=RBAC",
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--profiling=false",
	)
	if err := e.startAPIServer(ctx); err != nil {
		return nil, err
	}

	version, err := e.client.Discovery().ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("read the API server version: %w", err)
	}
	if err := os.WriteFile(e.path("kwok.yaml"), []byte(kwokConfig(version.GitVersion)), 0o644); err != nil {
		return nil, err
	}

	for _, p := range []*process{
		e.newProcess(binController,
			"--kubeconfig="+e.Kubeconfig,
			"--leader-elect=false",
			"--bind-address=127.0.0.1",
			"--secure-port="+strconv.Itoa(ports[3]),
			"--service-account-private-key-file="+e.path("sa.key"),
			"--root-ca-file="+e.path("ca.crt"),
			"--service-cluster-ip-range="+ServiceCIDR,
			"--node-monitor-period=1s",
			"--kube-api-qps=500",
			"--kube-api-burst=1000",
			"--profiling=false",
		),
		e.newProcess(binScheduler,
			"--kubeconfig="+e.Kubeconfig,
			"--leader-elect=false",
			"--bind-address=127.0.0.1",
			"--secure-port="+strconv.Itoa(ports[4]),
			"--profiling=false",
		),
		e.newProcess(binKwok,
			"--kubeconfig="+e.Kubeconfig,
			"--config="+e.path("kwok.yaml"),
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector="+FakeNodeAnnotation+"="+fakeNodeValue,
			"--node-lease-duration-seconds=40",
			"--cidr="+podCIDR,
			"--node-ip=10.1.0.1",
		),
	} {
		if err := p.start(e.launcher); err != nil {
			return nil, err
		}
	}

	for i := range opts.Nodes {
		name := fmt.Sprintf("node-%d", i+1)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{FakeNodeAnnotation: fakeNodeValue},
				Labels: map[string]string{
					"kubernetes.io/hostname": name,
					"kubernetes.io/os":       "linux",
					"kubernetes.io/arch":     "amd64",
					"type":                   "kwok",
					ZoneLabel:                opts.Zones[i%len(opts.Zones)],
					regionLabel:              "us-east-1",
				},
			},
		}
		if _, err := e.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("create node %s: %w", name, err)
		}
		e.Nodes = append(e.Nodes, name)
	}
	if err := e.poll(ctx, "nodes Ready", e.nodesReady); err != nil {
		return nil, err
	}
	if err := e.poll(ctx, "the default ServiceAccount", func(ctx context.Context) (bool, error) {
		_, err := e.client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	}); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Env) path(name string) string { return filepath.Join(e.Dir, name) }

func (e *Env) newProcess(bin string, args ...string) *process {
	p := &process{
		name:    bin,
		path:    filepath.Join(e.BinDir, bin),
		args:    args,
		logPath: e.path(bin + ".log"),
	}
	e.mu.Lock()
	e.procs = append(e.procs, p)
	e.mu.Unlock()
	return p
}

// writePKI creates the certificates and keys, and the kubeconfig that the
// controllers, kubectl and the tests share.
func (e *Env) writePKI() error {
	ca, err := newAuthority()
	if err != nil {
		return err
	}
	e.ca = ca
	e.CACertPEM = ca.certPEM
	serving, err := ca.serving("kube-apiserver",
		"127.0.0.1", "10.0.0.1", "localhost",
		"kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local")
	if err != nil {
		return err
	}
	admin, err := ca.client("zerodrop-testenv-admin", "system:masters")
	if err != nil {
		return err
	}
	saKey, saPub, err := signingKey()
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		"ca.crt":        ca.certPEM,
		"apiserver.crt": serving.certPEM,
		"apiserver.key": serving.keyPEM,
		"admin.crt":     admin.certPEM,
		"admin.key":     admin.keyPEM,
		"sa.key":        saKey,
		"sa.pub":        saPub,
	} {
		if err := os.WriteFile(e.path(name), data, 0o600); err != nil {
			return err
		}
	}
	e.restConfig = &rest.Config{
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   ca.certPEM,
			CertData: admin.certPEM,
			KeyData:  admin.keyPEM,
		},
		QPS:   200,
		Burst: 400,
	}
	return nil
}

func (e *Env) writeKubeconfig() error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testenv"] = &clientcmdapi.Cluster{
		Server:                   e.APIServerURL,
		CertificateAuthorityData: e.restConfig.CAData,
	}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: e.restConfig.CertData,
		ClientKeyData:         e.restConfig.KeyData,
	}
	cfg.Contexts["testenv"] = &clientcmdapi.Context{Cluster: "testenv", AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = "testenv"
	e.Kubeconfig = e.path("kubeconfig")
	return clientcmd.WriteToFile(*cfg, e.Kubeconfig)
}

// startAPIServer starts (or restarts) the API server and waits for /readyz.
func (e *Env) startAPIServer(ctx context.Context) error {
	if err := e.apiserver.start(e.launcher); err != nil {
		return err
	}
	hc, err := e.httpClient()
	if err != nil {
		return err
	}
	return waitHTTP(ctx, e.apiserver, hc, e.APIServerURL+"/readyz")
}

func (e *Env) httpClient() (*http.Client, error) {
	cert, err := tls.X509KeyPair(e.restConfig.CertData, e.restConfig.KeyData)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.CACertPEM)
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
		},
	}, nil
}

func (e *Env) nodesReady(ctx context.Context) (bool, error) {
	for _, name := range e.Nodes {
		n, err := e.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		ready := false
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if !ready {
			return false, nil
		}
		// The node lifecycle controller lifts these taints a moment after
		// the node turns Ready; until then nothing is scheduled there.
		for _, taint := range n.Spec.Taints {
			if taint.Key == corev1.TaintNodeNotReady || taint.Key == corev1.TaintNodeUnreachable {
				return false, nil
			}
		}
	}
	return true, nil
}

// poll calls cond every 50ms until it returns true, ctx ends, or a process
// of the control plane exits.
func (e *Env) poll(ctx context.Context, what string, cond func(context.Context) (bool, error)) error {
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		for _, p := range e.procs {
			if err := p.exited(); err != nil {
				return fmt.Errorf("waiting for %s: %w", what, err)
			}
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting for %s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitHTTP polls url until it answers 200 OK, ctx ends, or p exits.
func waitHTTP(ctx context.Context, p *process, hc *http.Client, url string) error {
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			buf := make([]byte, 512)
			n, _ := resp.Body.Read(buf)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(buf[:n])))
		} else {
			last = err.Error()
		}
		if err := p.exited(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s at %s: %w (last answer: %s)", p.name, url, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freePorts returns n distinct TCP ports that were free on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// RESTConfig returns a copy of the admin client configuration.
func (e *Env) RESTConfig() *rest.Config { return rest.CopyConfig(e.restConfig) }

// Client returns a clientset with cluster-admin rights.
func (e *Env) Client() kubernetes.Interface { return e.client }

// IssueServingCert issues a TLS serving certificate for hosts (IP addresses
// or DNS names) signed by the environment's CA, for a webhook the API server
// calls at https://127.0.0.1:PORT; no hosts means 127.0.0.1. Put CACertPEM
// in the webhook's caBundle.
func (e *Env) IssueServingCert(hosts ...string) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1"}
	}
	kp, err := e.ca.serving(hosts[0], hosts...)
	if err != nil {
		return nil, nil, err
	}
	return kp.certPEM, kp.keyPEM, nil
}

// KubectlPath returns the path of the kubectl binary next to the others, or
// an error if it was not built.
func (e *Env) KubectlPath() (string, error) {
	p := filepath.Join(e.BinDir, binKubectl)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("testenv: kubectl is not in %s; rebuild with tools/testenv/build.sh", e.BinDir)
	}
	return p, nil
}

// KubectlCmd returns a kubectl command bound to this control plane, for
// callers that want to set its input or context themselves.
func (e *Env) KubectlCmd(ctx context.Context, args ...string) (*exec.Cmd, error) {
	p, err := e.KubectlPath()
	if err != nil {
		return nil, err
	}
	full := append([]string{"--kubeconfig=" + e.Kubeconfig, "--cache-dir=" + e.path("kubectl-cache")}, args...)
	cmd := exec.CommandContext(ctx, p, full...)
	cmd.Env = append(childEnv(), "KUBECONFIG="+e.Kubeconfig)
	return cmd, nil
}

// Kubectl runs kubectl against this control plane and returns what it wrote.
// err is non-nil when kubectl could not run or exited non-zero.
func (e *Env) Kubectl(args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, err := e.KubectlCmd(ctx, args...)
	if err != nil {
		return "", "", err
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// StopAPIServer kills the API server (the other processes keep running), to
// test a client that loses its server mid-run. StartAPIServer brings it back
// on the same address. A test that stops the API server should use an Env of
// its own, not one shared with other tests.
func (e *Env) StopAPIServer() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.apiserver.kill()
}

// StartAPIServer restarts an API server stopped by StopAPIServer and waits
// until it is ready again.
func (e *Env) StartAPIServer(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return errStopped
	}
	if e.apiserver.running() {
		return nil
	}
	return e.startAPIServer(ctx)
}

// PIDs returns the process ids of the control-plane processes by name (the
// last start of each).
func (e *Env) PIDs() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := map[string]int{}
	for _, p := range e.procs {
		if pid := p.pid(); pid != 0 {
			m[p.name] = pid
		}
	}
	return m
}

// LogTail returns the last n lines of every process log, for a test to print
// when something unexpected happened.
func (e *Env) LogTail(n int) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return logTails(e.procs, n)
}

// Stop kills every process and waits for them, then removes the working
// directory unless it is to be kept. It is safe to call more than once.
func (e *Env) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return
	}
	e.stopped = true
	for i := len(e.procs) - 1; i >= 0; i-- {
		p := e.procs[i]
		if p.running() {
			_ = p.cmd.Process.Kill()
		}
	}
	for _, p := range e.procs {
		p.kill()
	}
	e.launcher.close()
	if !e.keepDir {
		os.RemoveAll(e.Dir)
	}
}

// FindBinDir returns the directory with the control-plane binaries: the one
// named by ZERODROP_TESTENV_BIN, else the last build of tools/testenv/build.sh
// in the user cache directory. It fails if a binary is missing.
func FindBinDir() (string, error) {
	if dir := os.Getenv(BinEnv); dir != "" {
		if err := checkBinDir(dir); err != nil {
			return "", fmt.Errorf("%s=%s: %w", BinEnv, dir, err)
		}
		return dir, nil
	}
	root, err := cacheRoot()
	if err != nil {
		return "", fmt.Errorf("testenv: %s is not set and there is no cache directory: %w", BinEnv, err)
	}
	dir := filepath.Join(root, "current")
	if err := checkBinDir(dir); err != nil {
		return "", fmt.Errorf("testenv: %s is not set and there is no build in %s: %w", BinEnv, dir, err)
	}
	return dir, nil
}

// cacheRoot is where tools/testenv/build.sh keeps its builds; keep the two in
// step.
func cacheRoot() (string, error) {
	if dir := os.Getenv("ZERODROP_TESTENV_CACHE"); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "zerodrop-testenv"), nil
}

func checkBinDir(dir string) error {
	var missing []string
	for _, b := range requiredBinaries {
		st, err := os.Stat(filepath.Join(dir, b))
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return nil
}
