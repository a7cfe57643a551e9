package exposure

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzRead: Read never panics, names increasing line numbers, and every
// exposure it returns encodes to valid JSON that reads back the same.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"time":"2026-03-01T12:00:00Z","plan":"p","variant":"a","reason":"default","unit":"u1"}` + "\n"))
	f.Add([]byte("\n\r\n{\"variant\":\"a\"}\r\nnull\n[1]\n{\"variant\":5}\n"))
	f.Add([]byte(`{"time":"2026-03-01T12:00:00.5+05:30","plan":"\u2028\ud800","rule":"r","variant":"\"","served":"b","reason":"rule","unit":"\u0000"}`))
	f.Add([]byte(`{"variant":"a"} {"variant":"b"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		last := 0
		for e, err := range Read(bytes.NewReader(data)) {
			if err != nil {
				var le *LineError
				if !errors.As(err, &le) {
					t.Fatalf("error %v is not a *LineError", err)
				}
				if le.Line <= last {
					t.Fatalf("line %d after line %d", le.Line, last)
				}
				last = le.Line
				continue
			}
			if e.Variant == "" {
				t.Fatal("an exposure without a variant")
			}
			line := appendExposure(nil, &e)
			if !json.Valid(line) {
				t.Fatalf("invalid JSON: %q", line)
			}
			n := 0
			for again, err := range Read(bytes.NewReader(line)) {
				n++
				if err != nil {
					t.Fatalf("re-read %q: %v", line, err)
				}
				if !again.Time.Equal(e.Time) {
					t.Fatalf("time %v became %v", e.Time, again.Time)
				}
				again.Time = e.Time
				if again != e {
					t.Fatalf("%+v became %+v", e, again)
				}
			}
			if n != 1 {
				t.Fatalf("re-read %q: %d results", line, n)
			}
		}
	})
}

// FuzzAppendString: the hand-written encoder agrees with encoding/json.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "\x00\x1f\b\f\n\r\t", "\u2028\u2029", "\xff\xc3\xed\xa0\x80", "日本🎉<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Exposure{Plan: s, Rule: s, Variant: s, Served: s, Reason: s, Unit: s}
		got, want := appendExposure(nil, &e), marshal(t, e)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendExposure(%q):\n got %s\nwant %s", s, got, want)
		}
	})
}
