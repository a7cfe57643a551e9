package analysis

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// benchLog is an exposure log of n lines over units units.
func benchLog(n, units int) []byte {
	var b bytes.Buffer
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i := range n {
		v := "control"
		if i%2 == 1 {
			v = "treatment"
		}
		fmt.Fprintf(&b, `{"time":%q,"plan":"checkout-2026","variant":%q,"reason":"default","unit":"user-%08d"}`+"\n",
			start.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), v, (i*7919)%units)
	}
	return b.Bytes()
}

func BenchmarkReadExposures(b *testing.B) {
	log := benchLog(100000, 20000)
	b.ReportAllocs()
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		u := NewUnits("")
		if err := u.ReadExposures(bytes.NewReader(log)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/line")
}

// TestExposureAllocs: a line as exposure.Writer writes it costs no
// allocation, whether its unit is new or known (beyond the columns'
// chunks and the index, which grow rarely).
func TestExposureAllocs(t *testing.T) {
	u := NewUnits("")
	log := benchLog(1000, 1000)
	if err := u.ReadExposures(bytes.NewReader(log)); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(log), []byte("\n"))
	var f fields
	i := 0
	n := testing.AllocsPerRun(1000, func() {
		if err := parseLine(lines[i%len(lines)], &f); err != nil {
			t.Fatal(err)
		}
		if err := u.addExposure(i, &f); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if n != 0 {
		t.Errorf("%v allocations per exposure, want 0", n)
	}
}
