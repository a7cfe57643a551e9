package exposure_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/varroute/varroute/exposure"
)

// fuzzWriter is an io.Writer on a disk that fills and empties as ctl says:
// each Write takes the next byte c of ctl; c%4 == 0 writes p whole,
// otherwise the first c%(len(p)+1) bytes are written and ENOSPC returned.
// Once ctl is used up, writes succeed. It is used by one goroutine.
type fuzzWriter struct {
	buf bytes.Buffer
	ctl []byte
}

func (f *fuzzWriter) Write(p []byte) (int, error) {
	if len(f.ctl) == 0 {
		return f.buf.Write(p)
	}
	c := f.ctl[0]
	f.ctl = f.ctl[1:]
	if c%4 == 0 {
		return f.buf.Write(p)
	}
	n := int(c) % (len(p) + 1)
	f.buf.Write(p[:n])
	if n == len(p) {
		return n, nil
	}
	return n, syscall.ENOSPC
}

// jsonLine returns e's line as encoding/json writes it (HTML escaping off,
// newline excluded), and e as it reads back from that line.
func jsonLine(t *testing.T, e exposure.Exposure) (int, exposure.Exposure) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		t.Fatal(err)
	}
	var back exposure.Exposure
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	return b.Len() - 1, back
}

// FuzzWriterReadBack: whatever the exposures and however the writes are
// cut short, what the Writer wrote reads back with Read: the good lines
// are, in order, exactly Stats.Written of the logged exposures, intact;
// every other line is a *LineError, at most one per failed write; and
// Logged = Written + Failed + Oversized (+ Deduplicated, with Dedup, which
// batch's high bit turns on). big%16 == 1 adds an exposure whose
// line is near MaxLineBytes.
func FuzzWriterReadBack(f *testing.F) {
	f.Add("u1|u2|u3", []byte{1, 0, 7}, uint8(2), uint16(0))
	f.Add("a|\"b\"|\x00\n|\u2028|\xff|日本", []byte{3, 2, 1, 5, 9, 0, 0, 255}, uint8(0), uint16(0))
	f.Add("x|y", []byte{}, uint8(7), uint16(209))
	f.Add("x|y|z", []byte{13, 1, 2, 3}, uint8(1), uint16(385))
	f.Fuzz(func(t *testing.T, units string, ctl []byte, batch uint8, big uint16) {
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		parts := strings.Split(units, "|")
		if len(parts) > 64 {
			parts = parts[:64]
		}
		var in []exposure.Exposure
		for i, s := range parts {
			in = append(in, exposure.Exposure{Time: t0.Add(time.Duration(i) * time.Second), Plan: "p", Rule: s, Variant: "v" + s, Reason: "rule", Unit: s})
		}
		if big%16 == 1 {
			e := exposure.Exposure{Time: t0, Plan: "p", Variant: "big", Reason: "default"}
			e.Unit = strings.Repeat("x", exposure.MaxLineBytes-300+int(big%400))
			in = append(in[:len(in)/2], append([]exposure.Exposure{e}, in[len(in)/2:]...)...)
		}
		out := &fuzzWriter{ctl: ctl}
		opts := exposure.WriterOptions{Block: true, QueueSize: 4, BatchSize: 1 + int(batch%8), FlushInterval: -1}
		if batch&0x80 != 0 {
			opts.Dedup = time.Hour // repeated units in the input are skipped
		}
		w, err := exposure.NewWriter(out, opts)
		if err != nil {
			t.Fatal(err)
		}
		var want []exposure.Exposure // the exposures short enough, as they read back
		oversized := int64(0)
		for _, e := range in {
			w.Log(t.Context(), e)
			n, back := jsonLine(t, e)
			if n > exposure.MaxLineBytes {
				oversized++
				continue
			}
			want = append(want, back)
		}
		closeErr := w.Close(t.Context())
		s := w.Stats()
		if s.Logged != int64(len(in)) || s.Logged != s.Written+s.Failed+s.Oversized+s.Deduplicated || s.Dropped != 0 || (opts.Dedup == 0 && s.Deduplicated != 0) {
			t.Fatalf("stats %+v for %d exposures", s, len(in))
		}
		if s.Oversized != oversized {
			t.Fatalf("%d oversized, want %d", s.Oversized, oversized)
		}
		if (s.Errors == 0) != (closeErr == nil) {
			t.Fatalf("Close = %v with %d errors", closeErr, s.Errors)
		}
		var good int64
		bad := int64(0)
		j := 0
		for e, err := range exposure.Read(bytes.NewReader(out.buf.Bytes())) {
			if err != nil {
				var le *exposure.LineError
				if !errors.As(err, &le) {
					t.Fatalf("read: %v", err)
				}
				bad++
				continue
			}
			good++
			for j < len(want) && !(want[j].Time.Equal(e.Time) && want[j].Unit == e.Unit && want[j].Rule == e.Rule && want[j].Variant == e.Variant && want[j].Plan == e.Plan && want[j].Reason == e.Reason) {
				j++
			}
			if j == len(want) {
				t.Fatalf("read back %+v, which was not logged (or not in this order)", e)
			}
			j++
		}
		if good != s.Written {
			t.Fatalf("%d exposures read back, %d counted written; output %q", good, s.Written, out.buf.Bytes())
		}
		if bad > s.Errors {
			t.Fatalf("%d bad lines for %d failed writes; output %q", bad, s.Errors, out.buf.Bytes())
		}
	})
}
