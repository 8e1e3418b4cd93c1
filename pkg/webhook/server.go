package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/zerodrop/zerodrop/pkg/kubeversion"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
)

// ServerOptions configure Run.
type ServerOptions struct {
	// Handler configures both handlers; Metrics and Log are set by Run.
	Handler Options
	// Host and Port are where the TLS server listens (default port 9443).
	Host string
	Port int
	// CertDir holds tls.crt and tls.key; they are reloaded when they change
	// (cert-manager renewals).
	CertDir string
	// HTTPAddr serves /metrics, /healthz and /readyz over plain HTTP
	// (default ":8080"; "0" turns it off).
	HTTPAddr string
	// Mutate serves the mutating handler at MutatePath too.
	Mutate bool
	// Log receives the server's log.
	Log logr.Logger
	// Ready, when set, is called once the caches are filled and the TLS
	// server answers.
	Ready func()
}

// Run serves the webhook until ctx ends: the validating handler at
// ValidatePath, the mutating one at MutatePath when asked, over TLS, with
// the model of the kinds the rules read (InformerSource). /readyz turns ready once the
// caches are filled and the TLS listener answers.
func Run(ctx context.Context, cfg *rest.Config, o ServerOptions) error {
	ctrllog.SetLogger(o.Log)
	klog.SetLogger(o.Log)
	if o.HTTPAddr == "" {
		o.HTTPAddr = ":8080"
	}
	if o.Handler.Check.KubeVersion.Major == 0 {
		v, err := serverVersion(cfg)
		if err != nil {
			return fmt.Errorf("server version: %w", err)
		}
		o.Handler.Check.KubeVersion = v
	}
	srv := crwebhook.NewServer(crwebhook.Options{
		Host: o.Host, Port: o.Port, CertDir: o.CertDir,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) { c.MinVersion = tls.VersionTLS12 }},
	})
	var synced atomic.Bool
	ready := &healthz.Handler{Checks: map[string]healthz.Checker{
		"caches": func(*http.Request) error {
			if !synced.Load() {
				return errors.New("informer caches not filled yet")
			}
			return nil
		},
		"webhook": srv.StartedChecker(),
	}}
	live := &healthz.Handler{Checks: map[string]healthz.Checker{"ping": healthz.Ping}}
	extra := map[string]http.Handler{}
	for path, h := range map[string]http.Handler{"/healthz": live, "/readyz": ready} {
		extra[path] = http.StripPrefix(path, h)
		extra[path+"/"] = http.StripPrefix(path, h)
	}
	shutdown := 30 * time.Second
	mgr, err := manager.New(cfg, manager.Options{
		Logger:                  o.Log,
		Metrics:                 metricsserver.Options{BindAddress: o.HTTPAddr, ExtraHandlers: extra},
		HealthProbeBindAddress:  "0",
		WebhookServer:           srv,
		GracefulShutdownTimeout: &shutdown,
	})
	if err != nil {
		return err
	}
	kinds, notes, err := ServedKinds(mgr.GetRESTMapper())
	if err != nil {
		return err
	}
	for _, n := range notes {
		o.Log.Info(n)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	src, err := NewInformerSource(kinds, DynamicListerWatcher(dyn), dyn)
	if err != nil {
		return err
	}
	m, err := NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return err
	}
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := ctrlmetrics.Registry.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			return err
		}
	}
	hopts := o.Handler
	hopts.Metrics, hopts.Log = m, o.Log
	// The manager runs the webhook server once it is asked for it.
	srv = mgr.GetWebhookServer()
	srv.Register(ValidatePath, HTTPHandler(NewValidator(src, hopts)))
	if o.Mutate {
		srv.Register(MutatePath, HTTPHandler(NewMutator(src, hopts)))
	}
	src.Start(ctx)
	go func() {
		if !src.WaitForSync(ctx) {
			return
		}
		synced.Store(true)
		o.Log.Info("caches filled", "kubernetes", o.Handler.Check.KubeVersion.String(), "objects", src.Len())
		if o.Ready == nil {
			return
		}
		for ctx.Err() == nil {
			if srv.StartedChecker()(nil) == nil {
				o.Ready()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return mgr.Start(ctx)
}

// ServedKinds are the kinds of Kinds the cluster serves; custom resources
// that are not installed are left out and named in the notes. An informer
// for a kind the cluster does not serve would never sync, and the model
// would never be ready.
func ServedKinds(mapper meta.RESTMapper) ([]Kind, []string, error) {
	var kinds []Kind
	var notes []string
	for _, k := range Kinds {
		if _, err := mapper.RESTMapping(k.GroupKind(), k.Version); err != nil {
			if meta.IsNoMatchError(err) && k.Optional {
				notes = append(notes, fmt.Sprintf("%s (%s) not served by the cluster: not read", k.Kind, k.Group))
				continue
			}
			return nil, notes, fmt.Errorf("%s: %w", k.Resource, err)
		}
		kinds = append(kinds, k)
	}
	return kinds, notes, nil
}

func serverVersion(cfg *rest.Config) (kubeversion.Version, error) {
	c := rest.CopyConfig(cfg)
	c.Timeout = 20 * time.Second
	d, err := discovery.NewDiscoveryClientForConfig(c)
	if err != nil {
		return kubeversion.Version{}, err
	}
	info, err := d.ServerVersion()
	if err != nil {
		return kubeversion.Version{}, err
	}
	return kubeversion.FromServer(info.Major, info.Minor)
}
