package cli

import (
	"io"
	"os"
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
		return pipeReadable(f)
	}
	return false
}
