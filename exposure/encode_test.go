package exposure

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// marshal is the reference: encoding/json without HTML escaping.
func marshal(t testing.TB, e Exposure) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func TestAppendExposureMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 15, 123456789, time.UTC)
	tests := []struct {
		name string
		e    Exposure
	}{
		{"zero", Exposure{}},
		{"plain", Exposure{Time: at, Plan: "checkout", Variant: "control", Reason: "default", Unit: "user-1"}},
		{"rule and served", Exposure{Time: at, Plan: "p", Rule: "beta", Variant: "v2", Served: "v1", Reason: "rule", Unit: "u"}},
		{"zone", Exposure{Time: at.In(time.FixedZone("x", -7*3600-1800)), Plan: "p", Variant: "a", Unit: "u"}},
		{"whole seconds", Exposure{Time: time.Unix(1e9, 0).UTC(), Plan: "p", Variant: "a", Unit: "u"}},
		{"quotes and slashes", Exposure{Plan: `a"b\c/d`, Variant: `"`, Unit: `\`}},
		{"controls", Exposure{Plan: "\x00\x01\b\f\n\r\t\x1f\x7f", Variant: "a", Unit: "tab\there"}},
		{"html", Exposure{Plan: "<a href='x'>&amp;</a>", Variant: "a", Unit: "u"}},
		{"unicode", Exposure{Plan: "naïve 日本 🎉", Variant: "ü", Unit: "\u2028\u2029\u2027"}},
		{"invalid utf-8", Exposure{Plan: "a\xffb\xc3", Variant: "\xe2\x80", Unit: "\xed\xa0\x80"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := appendExposure(nil, &tc.e)
			want := marshal(t, tc.e)
			if !bytes.Equal(got, want) {
				t.Errorf("appendExposure:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestAppendExposureAllocs(t *testing.T) {
	e := Exposure{Time: time.Now(), Plan: "checkout", Rule: "r", Variant: "control", Reason: "default", Unit: "user-\n\xff-1"}
	buf := make([]byte, 0, 1024)
	n := testing.AllocsPerRun(100, func() { buf = appendExposure(buf[:0], &e) })
	if n != 0 {
		t.Fatalf("appendExposure: %v allocs, want 0", n)
	}
}

func TestDedupTableEviction(t *testing.T) {
	d := newDedupTable(4, time.Minute) // one set of four
	if len(d.entries) != 4 {
		t.Fatalf("%d entries, want 4", len(d.entries))
	}
	keys := []string{"a", "b", "c", "d", "e"}
	for i, k := range keys {
		if d.seen("p", "v", k, int64(i)) {
			t.Fatalf("%s: first exposure seen as a repeat", k)
		}
	}
	// "e" evicted the oldest, "a"; the others are remembered.
	for _, k := range []string{"b", "c", "d", "e"} {
		if !d.seen("p", "v", k, 10) {
			t.Errorf("%s: repeat not caught", k)
		}
	}
	if d.seen("p", "v", "a", 10) {
		t.Error("a: evicted key still remembered")
	}
	if got := len(d.entries); got != 4 {
		t.Errorf("table grew to %d entries", got)
	}
}

func TestDedupTableSize(t *testing.T) {
	tests := []struct{ entries, want int }{{1, 4}, {4, 4}, {5, 8}, {64, 64}, {100, 128}, {1 << 16, 1 << 16}}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.entries), func(t *testing.T) {
			if got := len(newDedupTable(tc.entries, time.Second).entries); got != tc.want {
				t.Errorf("newDedupTable(%d): %d entries, want %d", tc.entries, got, tc.want)
			}
		})
	}
}
