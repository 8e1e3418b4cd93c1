// Command pause is the lab's pod sandbox image: it holds the pod's
// namespaces and sleeps until it is told to stop, as the upstream pause image
// does. It is built from source so the lab needs no registry.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
