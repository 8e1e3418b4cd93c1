//go:build unix

package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeReadable polls f without waiting: true when a read would not block.
func pipeReadable(f *os.File) bool {
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
}
