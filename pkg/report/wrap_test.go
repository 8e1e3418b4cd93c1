package report

import "testing"

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		width int
		want  string
	}{
		{"width 0 leaves it", "    a b  c d e f g h", 0, "    a b  c d e f g h"},
		{"short line unchanged", "    a  b", 20, "    a  b"},
		{"indent kept", "    one two three four", 13, "    one two\n    three\n    four"},
		{"long word whole", "  a verylongwordhere b", 8, "  a\n  verylongwordhere\n  b"},
		{"each line on its own", "    fix: aa bb\n      cc dd ee", 12, "    fix: aa\n    bb\n      cc dd\n      ee"},
		{"fits exactly", "abc def", 7, "abc def"},
	} {
		if got := wrap(tc.in, tc.width); got != tc.want {
			t.Errorf("%s: wrap(%q, %d) = %q, want %q", tc.name, tc.in, tc.width, got, tc.want)
		}
	}
}
