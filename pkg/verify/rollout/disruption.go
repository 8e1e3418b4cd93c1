package rollout

import (
	"context"
	"errors"
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/verify"
	"k8s.io/client-go/kubernetes"
)

// Disruption is a restart, a scale-in or a node drain of one Deployment as
// verify.Measure times it inside its traffic: it is the Watcher plus the
// choice of event, so that a caller (the verify command, a test, another
// program) only says what to disrupt.
type Disruption struct {
	Client          kubernetes.Interface
	Namespace, Name string
	// ScaleTo, when set, scales the Deployment in to that many replicas
	// (as `kubectl scale` does) instead of restarting it.
	ScaleTo *int32
	// Drain, when set, drains that node (as `kubectl drain` does), or with
	// "auto" the node that runs most of the Deployment's pods, instead of
	// restarting.
	Drain string
	// Note, when set, hears what a person should know before the traffic
	// starts, such as that no Service selects the pods (so no endpoint is
	// watched).
	Note    func(string)
	Options Options

	w *Watcher
}

var _ verify.Disruption = (*Disruption)(nil)

// Watch starts the Watcher; see Start.
func (d *Disruption) Watch(ctx context.Context, emit func(verify.Event)) error {
	if d.ScaleTo != nil && d.Drain != "" {
		return errors.New("a scale-in and a drain are two different events: give one")
	}
	w, err := Start(ctx, d.Client, d.Namespace, d.Name, emit, d.Options)
	if err != nil {
		return err
	}
	d.w = w
	if len(w.Services()) == 0 && d.Note != nil {
		d.Note(fmt.Sprintf("no Service in %s selects the pods of deployment/%s; endpoints are not watched", d.Namespace, d.Name))
	}
	return nil
}

// Workload is the namespace and "deployment/NAME".
func (d *Disruption) Workload() (namespace, workload string) {
	return d.Namespace, "deployment/" + d.Name
}

// Start restarts the Deployment, scales it in or drains the node.
func (d *Disruption) Start(ctx context.Context) error {
	switch {
	case d.ScaleTo != nil:
		return d.w.ScaleTo(ctx, *d.ScaleTo)
	case d.Drain != "":
		node := d.Drain
		if node == "auto" {
			var err error
			if node, err = d.w.BusiestNode(ctx); err != nil {
				return err
			}
		}
		return d.w.Drain(ctx, node)
	}
	return d.w.Restart(ctx)
}

// Done is closed when the event has settled or failed.
func (d *Disruption) Done() <-chan struct{} { return d.w.Done() }

// Err says why the event failed, once Done is closed.
func (d *Disruption) Err() error { return d.w.Err() }

// Stop ends the watching.
func (d *Disruption) Stop() {
	if d.w != nil {
		d.w.Stop()
	}
}
