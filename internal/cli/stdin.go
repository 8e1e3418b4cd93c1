package cli

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// stdinPending reports whether r is a stdin that holds data right now: a
// pipe or socket with bytes to read (or whose writer has closed after
// writing), or a redirected non-empty file. A terminal, /dev/null and a pipe
// nobody has written to yet do not count. Nothing is read.
func stdinPending(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	if err != nil {
		return false
	}
	switch mode := info.Mode(); {
	case mode.IsRegular():
		off, err := f.Seek(0, io.SeekCurrent)
		return err == nil && info.Size() > off
	case mode&(os.ModeNamedPipe|os.ModeSocket) != 0:
		fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		return err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
	}
	return false
}
