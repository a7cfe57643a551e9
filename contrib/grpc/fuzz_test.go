package vargrpc

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/varroute/varroute/audience"
)

// FuzzUnit feeds arbitrary metadata values to a UnitExtractor: it never
// panics, and either refuses them with an InvalidArgument *MetadataError or
// returns a key and attributes within the limits, of the configured kinds.
func FuzzUnit(f *testing.F) {
	f.Add("alice", "fr", "31", "true", "0.5", "7")
	f.Add(strings.Repeat("k", 17), "", "", "", "", "")
	f.Add(" ", " fr ", "-9223372036854775808", "1", "NaN", "18446744073709551615")
	f.Add("bob", "123456789", "thirty", "yes", "1e999", "-1")
	x, err := NewUnitExtractor(testUnitConfig)
	if err != nil {
		f.Fatal(err)
	}
	kinds := map[string]audience.Kind{"country": audience.KindString}
	for name, k := range testUnitConfig.Kinds {
		kinds[name] = k
	}
	f.Fuzz(func(t *testing.T, key, country, age, beta, score, seats string) {
		ctx := incoming("x-user-id", key, "x-country", country, "x-age", age, "x-beta", beta, "x-score", score, "x-seats", seats)
		u, err := x.Unit(ctx)
		if err != nil {
			var me *MetadataError
			if !errors.As(err, &me) || !errors.Is(err, ErrBadMetadata) || status.Code(err) != codes.InvalidArgument {
				t.Fatalf("error %v (%T), want an InvalidArgument *MetadataError", err, err)
			}
			return
		}
		if len(u.Key) > testUnitConfig.MaxKeyLen || u.Key != strings.TrimSpace(u.Key) {
			t.Fatalf("key %q: over the limit or not trimmed", u.Key)
		}
		for _, a := range u.Attrs {
			if a.Value.Kind() != kinds[a.Key] {
				t.Fatalf("attribute %s is a %v, want %v", a.Key, a.Value.Kind(), kinds[a.Key])
			}
		}
	})
}

// FuzzValueEncoding: every encoded name is a valid text metadata value
// (printable ASCII) and decodes to itself.
func FuzzValueEncoding(f *testing.F) {
	f.Add("v2-candidate")
	f.Add("expérience 100%")
	f.Add("a\x00b\x7f%zz")
	f.Fuzz(func(t *testing.T, s string) {
		e := encodeValue(s)
		for i := 0; i < len(e); i++ {
			if e[i] < 0x20 || e[i] > 0x7e {
				t.Fatalf("encodeValue(%q) = %q: byte %#x is not printable ASCII", s, e, e[i])
			}
		}
		if d := decodeValue(e); d != s {
			t.Fatalf("decodeValue(encodeValue(%q)) = %q", s, d)
		}
		_ = decodeValue(s) // never panics on what a client sends
	})
}
