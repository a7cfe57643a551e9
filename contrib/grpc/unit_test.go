package vargrpc

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testUnitConfig = UnitConfig{
	Key:   "X-User-ID", // lowercased
	Attrs: map[string]string{"country": "x-country", "age": "x-age", "beta": "x-beta", "score": "x-score", "seats": "x-seats"},
	Kinds: map[string]audience.Kind{
		"age":   audience.KindInt64,
		"beta":  audience.KindBool,
		"score": audience.KindFloat64,
		"seats": audience.KindUint64,
	},
	MaxKeyLen:   16,
	MaxValueLen: 8,
}

func incoming(kv ...string) context.Context {
	return metadata.NewIncomingContext(context.Background(), metadata.Pairs(kv...))
}

func TestUnit(t *testing.T) {
	x, err := NewUnitExtractor(testUnitConfig)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ctx  context.Context
		want router.Unit
	}{
		{name: "no metadata", ctx: context.Background()},
		{name: "anonymous", ctx: incoming("other", "x")},
		{name: "key trimmed", ctx: incoming("x-user-id", "  alice "), want: router.Unit{Key: "alice"}},
		{name: "key any case", ctx: incoming("X-USER-ID", "alice"), want: router.Unit{Key: "alice"}},
		{name: "blank key is anonymous", ctx: incoming("x-user-id", "   ")},
		{name: "key at its limit", ctx: incoming("x-user-id", strings.Repeat("k", 16)), want: router.Unit{Key: strings.Repeat("k", 16)}},
		{
			name: "typed attributes in name order",
			ctx:  incoming("x-user-id", "bob", "x-score", "0.5", "x-age", "31", "x-country", "fr", "x-beta", "true", "x-seats", "7"),
			want: router.Unit{Key: "bob", Attrs: audience.Attributes{
				audience.Int64("age", 31), audience.Bool("beta", true), audience.String("country", "fr"),
				audience.Float64("score", 0.5), audience.Uint64("seats", 7),
			}},
		},
		{name: "empty attribute skipped", ctx: incoming("x-country", "", "x-age", " "), want: router.Unit{Attrs: audience.Attributes{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := x.Unit(tc.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != tc.want.Key || got.Attrs.String() != tc.want.Attrs.String() {
				t.Fatalf("Unit = %q %v, want %q %v", got.Key, got.Attrs, tc.want.Key, tc.want.Attrs)
			}
		})
	}
}

func TestUnitRefused(t *testing.T) {
	x, err := NewUnitExtractor(testUnitConfig)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ctx  context.Context
		want string // the whole message
	}{
		{
			name: "key too long",
			ctx:  incoming("x-user-id", strings.Repeat("k", 17)),
			want: `vargrpc: metadata entry "x-user-id" (unit key): 17 bytes, limit 16`,
		},
		{
			name: "two keys",
			ctx:  incoming("x-user-id", "alice", "x-user-id", "bob"),
			want: `vargrpc: metadata entry "x-user-id" (unit key): 2 values, limit 1`,
		},
		{
			name: "attribute too long",
			ctx:  incoming("x-country", "123456789"),
			want: `vargrpc: metadata entry "x-country" (attribute "country"): 9 bytes, limit 8`,
		},
		{
			name: "two attribute values",
			ctx:  incoming("x-country", "fr", "x-country", "de"),
			want: `vargrpc: metadata entry "x-country" (attribute "country"): 2 values, limit 1`,
		},
		{
			name: "int",
			ctx:  incoming("x-age", "old"),
			want: `vargrpc: metadata entry "x-age" (attribute "age"): not a valid int64: strconv.ParseInt: parsing "old": invalid syntax`,
		},
		{
			name: "bool",
			ctx:  incoming("x-beta", "yes"),
			want: `vargrpc: metadata entry "x-beta" (attribute "beta"): not a valid bool: strconv.ParseBool: parsing "yes": invalid syntax`,
		},
		{
			name: "float",
			ctx:  incoming("x-score", "1e999"),
			want: `vargrpc: metadata entry "x-score" (attribute "score"): not a valid float64: strconv.ParseFloat: parsing "1e999": value out of range`,
		},
		{
			name: "uint",
			ctx:  incoming("x-seats", "-1"),
			want: `vargrpc: metadata entry "x-seats" (attribute "seats"): not a valid uint64: strconv.ParseUint: parsing "-1": invalid syntax`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := x.Unit(tc.ctx)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Errorf("error %q\nwant  %q", err, tc.want)
			}
			if !errors.Is(err, ErrBadMetadata) {
				t.Errorf("error does not match ErrBadMetadata")
			}
			if st, ok := status.FromError(err); !ok || st.Code() != codes.InvalidArgument || st.Message() != tc.want {
				t.Errorf("status = %v, %v; want InvalidArgument %q", st, ok, tc.want)
			}
		})
	}
}

func TestNewUnitExtractorConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  UnitConfig
		want string // in the error; "" for none
	}{
		{name: "zero"},
		{name: "empty attribute name", cfg: UnitConfig{Attrs: map[string]string{"": "x-a"}}, want: "empty attribute name"},
		{name: "empty entry", cfg: UnitConfig{Attrs: map[string]string{"a": ""}}, want: "empty metadata entry name"},
		{name: "binary", cfg: UnitConfig{Key: "x-user-bin"}, want: "binary (-bin) entries"},
		{name: "reserved", cfg: UnitConfig{Key: "grpc-user"}, want: "grpc- prefix is reserved"},
		{name: "bad character", cfg: UnitConfig{Attrs: map[string]string{"a": "x a"}}, want: `character ' ' not in`},
		{name: "kind without attribute", cfg: UnitConfig{Kinds: map[string]audience.Kind{"a": audience.KindBool}}, want: `Kinds names "a"`},
		{name: "unsupported kind", cfg: UnitConfig{Attrs: map[string]string{"a": "x-a"}, Kinds: map[string]audience.Kind{"a": audience.KindStrings}}, want: "unsupported kind"},
		{name: "negative key limit", cfg: UnitConfig{MaxKeyLen: -1}, want: "MaxKeyLen is -1"},
		{name: "negative value limit", cfg: UnitConfig{MaxValueLen: -1}, want: "MaxValueLen is -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewUnitExtractor(tc.cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrConfig)):
				t.Fatalf("error %v, want ErrConfig containing %q", err, tc.want)
			}
		})
	}
}

func TestNilExtractor(t *testing.T) {
	var x *UnitExtractor
	u, err := x.Unit(incoming("x-user-id", "alice"))
	if err != nil || u.Key != "" || u.Attrs != nil {
		t.Fatalf("nil extractor: %v %v", u, err)
	}
}

func TestDefaultLimits(t *testing.T) {
	x, err := NewUnitExtractor(UnitConfig{Key: "k", Attrs: map[string]string{"a": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Unit(incoming("k", strings.Repeat("x", DefaultMaxKeyLen))); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Unit(incoming("k", strings.Repeat("x", DefaultMaxKeyLen+1))); !errors.Is(err, ErrBadMetadata) {
		t.Fatalf("key over the default limit: %v", err)
	}
	if _, err := x.Unit(incoming("a", strings.Repeat("x", DefaultMaxValueLen))); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Unit(incoming("a", strings.Repeat("x", DefaultMaxValueLen+1))); !errors.Is(err, ErrBadMetadata) {
		t.Fatalf("value over the default limit: %v", err)
	}
}

func TestEncodeValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"v2-candidate", "v2-candidate"},
		{"50%", "50%25"},
		{"café", "caf%C3%A9"},
		{"a\nb", "a%0Ab"},
		{"\x7f", "%7F"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := encodeValue(tc.in); got != tc.want {
				t.Fatalf("encodeValue(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := decodeValue(tc.want); got != tc.in {
				t.Fatalf("decodeValue(%q) = %q, want %q", tc.want, got, tc.in)
			}
		})
	}
	for _, s := range []string{"%", "%4", "%zz", "100%"} {
		if got := decodeValue(s); got != s {
			t.Errorf("decodeValue(%q) = %q, want it unchanged", s, got)
		}
	}
}
