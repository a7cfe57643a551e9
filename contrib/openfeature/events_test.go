package varfeature

import (
	"context"
	"testing"

	"github.com/open-feature/go-sdk/openfeature"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestEmitterMerges: changes queued while nobody reads are merged into one
// event, a READY that is due follows them, and close drops what is left.
func TestEmitterMerges(t *testing.T) {
	out := make(chan openfeature.Event)
	e := newEmitter(out)
	e.awaitReady()
	e.configChanged("a", false)
	e.configChanged("b", false)
	e.configChanged("a", true) // every flag has a plan now
	e.configChanged("c", true) // READY already queued: not again
	e.start()
	want := []struct {
		typ   openfeature.EventType
		flags string
	}{
		{openfeature.ProviderConfigChange, "[a b]"},
		{openfeature.ProviderReady, "[]"},
		{openfeature.ProviderConfigChange, "[c]"},
	}
	for _, w := range want {
		ev := <-out
		if ev.EventType != w.typ || fmtFlags(ev.FlagChanges) != w.flags || ev.ProviderName != Name {
			t.Fatalf("event %+v, want %s %s", ev, w.typ, w.flags)
		}
	}
	e.configChanged("d", true)
	if err := e.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.close(context.Background()); err != nil { // again
		t.Fatal(err)
	}
}

func fmtFlags(fs []string) string {
	s := "["
	for i, f := range fs {
		if i > 0 {
			s += " "
		}
		s += f
	}
	return s + "]"
}
