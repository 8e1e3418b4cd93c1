package yamledit

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/zerodrop/zerodrop/pkg/load"
)

// Encoding is how a file's text is stored on disk. fix edits the text as
// UTF-8 with LF or CR LF line ends, exactly as the loader reads it, and
// writes it back stored as it was: same byte order mark, same encoding,
// same line ends.
type Encoding struct {
	// utf16 is the byte order of a UTF-16 file (nil for UTF-8).
	utf16 binary.ByteOrder
	// bom: a UTF-8 file that starts with a byte order mark.
	bom bool
	// cr: every line ends in a lone CR (classic Mac); the text has LF.
	cr bool
}

var utf8BOM = []byte("\xef\xbb\xbf")

func (e Encoding) String() string {
	s := "UTF-8"
	switch e.utf16 {
	case binary.LittleEndian:
		s = "UTF-16LE"
	case binary.BigEndian:
		s = "UTF-16BE"
	}
	if e.bom {
		s += " with a UTF-8 byte order mark"
	}
	return s
}

// Decode returns the text of a file as the loader reads it. A file whose
// text would not encode back to the very same bytes is refused: fix could
// not write it without changing bytes it did not mean to change.
func Decode(data []byte) (text []byte, enc Encoding, err error) {
	text = data
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}), bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		enc.utf16 = binary.LittleEndian
		if data[0] == 0xfe {
			enc.utf16 = binary.BigEndian
		}
		t, ok := load.DecodeUTF16(data)
		if !ok {
			return nil, enc, fmt.Errorf("%s text that does not decode (an odd number of bytes, or a broken surrogate pair)", enc)
		}
		text = t
	}
	// The loader drops a UTF-8 byte order mark, also after a UTF-16 one.
	if bytes.HasPrefix(text, utf8BOM) {
		enc.bom = true
		text = text[len(utf8BOM):]
	}
	if bytes.IndexByte(text, '\n') < 0 && bytes.IndexByte(text, '\r') >= 0 {
		enc.cr = true
		text = bytes.ReplaceAll(text, []byte("\r"), []byte("\n"))
	}
	if back := enc.Encode(text); !bytes.Equal(back, data) {
		return nil, enc, fmt.Errorf("the file's %s text does not read back as the same bytes", enc)
	}
	return text, enc, nil
}

// Encode stores text as the file was stored.
func (e Encoding) Encode(text []byte) []byte {
	if e.cr {
		text = bytes.ReplaceAll(text, []byte("\n"), []byte("\r"))
	}
	if e.bom {
		text = append(append([]byte{}, utf8BOM...), text...)
	}
	if e.utf16 != nil {
		units := utf16.Encode(append([]rune{0xfeff}, []rune(string(text))...))
		out := make([]byte, 2*len(units))
		for i, u := range units {
			e.utf16.PutUint16(out[2*i:], u)
		}
		return out
	}
	return text
}
