package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the webhook's Prometheus metrics.
type Metrics struct {
	admissions *prometheus.CounterVec
	findings   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them with reg (when not nil;
// metrics already registered there are shared):
//
//	zerodrop_webhook_admissions_total{webhook, kind, result}
//	zerodrop_webhook_findings_total{rule, severity}
//	zerodrop_webhook_handler_duration_seconds{webhook}
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		admissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zerodrop_webhook_admissions_total",
			Help: "Admission reviews answered, by handler (validate, mutate), kind and result (clean, warned, denied, patched, skipped, timeout, shed, panic, error); shed counts reviews allowed unchecked because too many were in flight.",
		}, []string{"webhook", "kind", "result"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zerodrop_webhook_findings_total",
			Help: "Findings reported at admission (not suppressed), by rule and severity.",
		}, []string{"rule", "severity"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "zerodrop_webhook_handler_duration_seconds",
			Help:    "Time to answer one admission review inside the handler.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
		}, []string{"webhook"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.admissions, err = register(reg, m.admissions); err != nil {
		return nil, err
	}
	if m.findings, err = register(reg, m.findings); err != nil {
		return nil, err
	}
	if m.latency, err = register(reg, m.latency); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector registered before it
// under the same name (a second server in one process shares the counts).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

func (m *Metrics) observe(hook, kind string, a answer, took time.Duration) {
	if m == nil {
		return
	}
	m.admissions.WithLabelValues(hook, kind, a.result).Inc()
	m.latency.WithLabelValues(hook).Observe(took.Seconds())
	if hook != "validate" {
		return
	}
	for _, f := range a.findings {
		m.findings.WithLabelValues(f.Rule, f.Severity.String()).Inc()
	}
}
