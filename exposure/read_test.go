package exposure_test

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/varroute/varroute/exposure"
)

func TestRead(t *testing.T) {
	const good = `{"time":"2026-03-01T12:00:00Z","plan":"p","variant":"a","reason":"default","unit":"u1"}`
	tests := []struct {
		name    string
		in      string
		units   []string
		errLine []int // lines of the errors, in order
	}{
		{"empty", "", nil, nil},
		{"one", good + "\n", []string{"u1"}, nil},
		{"no final newline", good, []string{"u1"}, nil},
		{"crlf and blank lines", "\r\n" + good + "\r\n\n  \n" + strings.Replace(good, "u1", "u2", 1) + "\r\n", []string{"u1", "u2"}, nil},
		{"unknown fields", `{"variant":"a","unit":"u","extra":[1,2]}`, []string{"u"}, nil},
		{"bad lines go on", good + "\nnot json\n{\"variant\":\"a\",\"unit\":\"u3\"}\n[1]\nnull\n{\"unit\":\"x\"}\n{\"variant\":5}\n{\"variant\":\"a\"} x\n",
			[]string{"u1", "u3"}, []int{2, 4, 5, 6, 7, 8}},
		{"bad time", `{"time":"yesterday","variant":"a"}`, nil, []int{1}},
		{"too long", good + "\n" + `{"variant":"a","unit":"` + strings.Repeat("x", exposure.MaxLineBytes) + `"}` + "\n" + good, []string{"u1", "u1"}, []int{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var units []string
			var lines []int
			for e, err := range exposure.Read(strings.NewReader(tc.in)) {
				if err != nil {
					var le *exposure.LineError
					require.ErrorAs(t, err, &le)
					assert.Contains(t, err.Error(), "exposure: line ")
					lines = append(lines, le.Line)
					continue
				}
				units = append(units, e.Unit)
			}
			assert.Equal(t, tc.units, units)
			assert.Equal(t, tc.errLine, lines)
		})
	}
}

func TestReadTooLongIsErrTooLong(t *testing.T) {
	in := strings.Repeat("x", exposure.MaxLineBytes+10)
	for _, err := range exposure.Read(strings.NewReader(in)) {
		assert.ErrorIs(t, err, bufio.ErrTooLong)
		assert.Equal(t, "exposure: line 1: bufio.Scanner: token too long", err.Error())
	}
	const head, tail = `{"variant":"a","unit":"`, `"}`
	in = head + strings.Repeat("x", exposure.MaxLineBytes-len(head)-len(tail)) + tail + "\r\n"
	n := 0
	for e, err := range exposure.Read(strings.NewReader(in + in)) {
		require.NoError(t, err, "a line of MaxLineBytes")
		assert.Len(t, e.Unit, exposure.MaxLineBytes-len(head)-len(tail))
		n++
	}
	assert.Equal(t, 2, n)
}

func TestReadError(t *testing.T) {
	boom := errors.New("disk gone")
	r := io.MultiReader(strings.NewReader(`{"variant":"a","unit":"u"}`+"\n"+`{"variant":"a","un`), iotest.ErrReader(boom))
	var got []string
	var errs []error
	for e, err := range exposure.Read(r) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, e.Unit)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], boom)
	assert.Equal(t, "exposure: line 2: disk gone", errs[0].Error())
	assert.Equal(t, []string{"u"}, got)
}

func TestReadStopsEarly(t *testing.T) {
	in := `{"variant":"a","unit":"u1"}` + "\nbad\n" + `{"variant":"a","unit":"u2"}`
	n := 0
	for _, err := range exposure.Read(strings.NewReader(in)) {
		n++
		if err != nil {
			break
		}
	}
	assert.Equal(t, 2, n)
}

// TestRoundTrip: what a Writer writes, Read gives back, for strings JSON
// can carry (invalid UTF-8 comes back as U+FFFD).
func TestRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 15, 123456789, time.FixedZone("", 3600))
	in := []exposure.Exposure{
		{Time: at, Plan: "checkout-2026", Variant: "control", Reason: "default", Unit: "user-1"},
		{Time: at.Add(time.Second), Plan: "p", Rule: "beta users", Variant: "v2", Served: "v1", Reason: "rule", Unit: "user-2"},
		{Time: at.UTC(), Plan: `q"uo\te`, Variant: "ü 日本 🎉", Reason: "no-key", Unit: ""},
		{Time: time.Unix(0, 1).UTC(), Plan: "ctl\x00\x1f\n", Variant: "\u2028", Reason: "x", Unit: "<&>"},
		{Time: at, Plan: "bad\xffutf8", Variant: "a", Unit: "\xc3"},
	}
	var out syncBuffer
	w := newWriter(t, &out, exposure.WriterOptions{})
	for _, e := range in {
		w.Log(t.Context(), e)
	}
	require.NoError(t, w.Close(t.Context()))
	got := readAll(t, out.String())
	require.Len(t, got, len(in))
	for i, e := range in {
		t.Run(e.Unit, func(t *testing.T) {
			g := got[i]
			assert.True(t, e.Time.Equal(g.Time), "time %v, want %v", g.Time, e.Time)
			g.Time = e.Time
			e.Plan = strings.ReplaceAll(e.Plan, "\xff", "\uFFFD")
			e.Unit = strings.ReplaceAll(e.Unit, "\xc3", "\uFFFD")
			assert.Equal(t, e, g)
		})
	}
}
