package yamledit

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func utf16Of(order binary.ByteOrder, text string) []byte {
	units := utf16.Encode(append([]rune{0xfeff}, []rune(text)...))
	out := make([]byte, 2*len(units))
	for i, u := range units {
		order.PutUint16(out[2*i:], u)
	}
	return out
}

// Each way a manifest is stored decodes to the text the loader reads and
// encodes back to the very same bytes.
func TestDecodeEncodeRoundTrip(t *testing.T) {
	const text = "kind: A # grüße\n---\nkind: B\n"
	cases := []struct {
		name string
		data []byte
		want string
		enc  string
	}{
		{"utf8", []byte(text), text, "UTF-8"},
		{"utf8 crlf", []byte("kind: A\r\nb: c\r\n"), "kind: A\r\nb: c\r\n", "UTF-8"},
		{"utf8 bom", append([]byte("\xef\xbb\xbf"), text...), text, "UTF-8 with a UTF-8 byte order mark"},
		{"lone cr", []byte("kind: A\rb: c\r"), "kind: A\nb: c\n", "UTF-8"},
		{"utf16le", utf16Of(binary.LittleEndian, text), text, "UTF-16LE"},
		{"utf16be crlf", utf16Of(binary.BigEndian, "a: 1\r\nb: 2\r\n"), "a: 1\r\nb: 2\r\n", "UTF-16BE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, enc, err := Decode(c.data)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want || enc.String() != c.enc {
				t.Errorf("decoded %q as %s, want %q as %s", got, enc, c.want, c.enc)
			}
			if back := enc.Encode(got); !bytes.Equal(back, c.data) {
				t.Errorf("encoded back as %q, want %q", back, c.data)
			}
		})
	}
}

// Bytes that would not encode back unchanged are refused, not mangled.
func TestDecodeRefusesWhatCannotRoundTrip(t *testing.T) {
	for name, data := range map[string][]byte{
		"odd utf16":        append(utf16Of(binary.LittleEndian, "a: 1\n"), 'x'),
		"broken surrogate": append(utf16Of(binary.LittleEndian, "a: "), 0x00, 0xd8, 0x0a, 0x00),
	} {
		if _, _, err := Decode(data); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// FuzzDecode: text stored any of the ways a manifest is stored (encoded
// here independently of Encode) decodes to the same text in that storage,
// and encodes back to the same bytes; arbitrary bytes never crash Decode,
// and what it accepts encodes back unchanged.
func FuzzDecode(f *testing.F) {
	for i := range 5 {
		f.Add("a: 1\n", uint8(i))
		f.Add("a: ü # c\r\n---\r\nb: \"\\r\"\r\n", uint8(i))
		f.Add("\xef\xbb\xbfa: 1", uint8(i))
	}
	f.Fuzz(func(t *testing.T, text string, storage uint8) {
		if got, enc, err := Decode([]byte(text)); err == nil && string(enc.Encode(got)) != text {
			t.Fatalf("%q decoded as %s to %q encodes back differently", text, enc, got)
		}
		// Text the storage cannot hold as such: not UTF-8, starting with a
		// byte order mark (the loader drops it), lone CRs without LFs (read
		// as classic Mac line ends).
		if !utf8.ValidString(text) || strings.HasPrefix(text, "\ufeff") || (strings.Contains(text, "\r") && !strings.Contains(text, "\n")) {
			return
		}
		var data []byte
		want := "UTF-8"
		switch storage % 5 {
		case 0:
			data = []byte(text)
		case 1:
			data, want = append([]byte("\xef\xbb\xbf"), text...), "UTF-8 with a UTF-8 byte order mark"
		case 2:
			data, want = utf16Of(binary.LittleEndian, text), "UTF-16LE"
		case 3:
			data, want = utf16Of(binary.BigEndian, text), "UTF-16BE"
		case 4:
			if strings.Contains(text, "\r") || !strings.Contains(text, "\n") {
				return
			}
			data = []byte(strings.ReplaceAll(text, "\n", "\r"))
		}
		got, enc, err := Decode(data)
		if err != nil {
			t.Fatalf("%q stored as %s does not decode: %v", text, want, err)
		}
		if string(got) != text || enc.String() != want {
			t.Fatalf("%q stored as %s decodes to %q as %s", text, want, got, enc)
		}
		if back := enc.Encode(got); !bytes.Equal(back, data) {
			t.Fatalf("%q stored as %s encodes back as %q, want %q", text, want, back, data)
		}
	})
}
