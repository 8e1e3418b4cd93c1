// Command labctl drives the real-node lab (tools/lab/lab.sh, docs/lab.md):
//
//	labctl lb  --manifests DIR --listen IP:PORT   # play the load balancer of DIR's exposure
//	labctl run [--configs ...] [--events ...]     # the measured matrix: verify vs simulate
//	labctl band [--profile P] SUMMARY.json...     # runs measured before against the model as it is
//	labctl timeline SUMMARY.json...               # each run's stop: endpoint updates, syncs, failures
//
// It is a development tool, not part of zerodrop.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/zerodrop/zerodrop/internal/lab"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "lb":
		err = runLB(ctx, os.Args[2:])
	case "run":
		err = runMatrix(ctx, os.Args[2:])
	case "band":
		err = runBand(ctx, os.Args[2:])
	case "timeline":
		err = runTimeline(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "labctl:", err)
		var ee exitCode
		if errors.As(err, &ee) {
			os.Exit(int(ee))
		}
		os.Exit(1)
	}
}

type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func usage() {
	fmt.Fprintln(os.Stderr, "usage: labctl lb|run|band|timeline [flags] (labctl COMMAND -h)")
	os.Exit(2)
}

func client(kubeconfig string) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 50, 100
	return kubernetes.NewForConfig(cfg)
}

func defaultState() string {
	if d := os.Getenv("ZERODROP_LAB_DIR"); d != "" {
		return filepath.Join(d, "lb")
	}
	return "/var/lib/zerodrop-lab/lb"
}

func runLB(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("lb", flag.ExitOnError)
	manifests := fs.String("manifests", "", "directory with the exposure's manifests (one workload behind one load balancer)")
	profile := fs.String("profile", "", "timing profile file")
	listen := fs.String("listen", "10.201.1.1:18080", "address the load balancer listens on (a lab address)")
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the lab")
	haproxy := fs.String("haproxy", "/usr/sbin/haproxy", "HAProxy binary")
	state := fs.String("state", defaultState(), "directory for HAProxy's configuration, socket and log")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the delays drawn")
	fs.Parse(args)
	if *manifests == "" {
		return errors.New("lb: --manifests is required")
	}
	sc, err := lab.FromManifests(ctx, *manifests, *profile)
	if err != nil {
		return err
	}
	c, err := client(*kubeconfig)
	if err != nil {
		return err
	}
	logger := log.New(os.Stderr, "", 0)
	em, err := lab.NewEmulator(ctx, sc.TargetGroup, c, *haproxy, *state, *listen, *seed, logger.Printf)
	if err != nil {
		return err
	}
	logger.Printf("lb: %s on %s (%+v)", sc.Case.Exposure, *listen, sc.TargetGroup)
	return em.Run()
}
