package varhttp

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/shadow"
	"github.com/varroute/varroute/strategy"
)

// RouterState is what a StateHandler reads from a router. Every
// *router.Router satisfies it, whatever its type parameters. A RouterState
// that also has the methods ShadowStats() shadow.Stats, Variants() []string
// or Breakers() []router.BreakerStatus (as *router.Router does) has them
// served too.
type RouterState interface {
	Plan() strategy.Plan
	ShadowReport() shadow.Report
}

type shadowStatser interface{ ShadowStats() shadow.Stats }

type varianter interface{ Variants() []string }

type breakerer interface{ Breakers() []router.BreakerStatus }

// StateOptions adds to what a StateHandler serves. The zero value serves the
// router's state alone, stamped with time.Now.
type StateOptions struct {
	// Rollout, if not nil, returns the status of a rollout controller (any
	// value encoding/json can marshal), served as "rollout".
	Rollout func() any
	// Extra maps more names to functions whose results are served under
	// "extra". Nil means none.
	Extra map[string]func() any
	// Now stamps each response. Nil means time.Now.
	Now func() time.Time
}

// State is the JSON document a StateHandler serves; clients can decode it
// into this type (Rollout and Extra then hold generic JSON values).
type State struct {
	// Time is when the state was read.
	Time time.Time `json:"time"`
	// Plan is the plan serving, absent if the handler has no router.
	Plan *strategy.Plan `json:"plan,omitempty"`
	// Revision is the plan's revision (router.Revision), as the metrics
	// label it.
	Revision string `json:"revision,omitempty"`
	// Variants lists the registered variants, sorted, if the router tells.
	Variants []string `json:"variants,omitempty"`
	// Shadow compares each shadow with its primary (agreement rates with
	// their intervals, error rates, latencies).
	Shadow *shadow.Report `json:"shadow,omitempty"`
	// ShadowStats are the shadow pool's counters, if the router tells.
	ShadowStats *shadow.Stats `json:"shadow_stats,omitempty"`
	// Breakers reports each variant's circuit breaker (state, since when,
	// why, transitions), if the router tells.
	Breakers []router.BreakerStatus `json:"breakers,omitempty"`
	// Rollout is StateOptions.Rollout's result.
	Rollout any `json:"rollout,omitempty"`
	// Extra holds StateOptions.Extra's results by name.
	Extra map[string]any `json:"extra,omitempty"`
}

// A StateHandler serves a router's state as JSON, for operators: GET (or
// HEAD) returns a State; ?pretty (any value but "0" or "false") indents it.
// Other methods get 405 Method Not Allowed. Responses are marked
// Cache-Control: no-store. It is safe for concurrent use if the functions it
// calls are.
type StateHandler struct {
	src  RouterState
	opts StateOptions
}

// NewStateHandler returns a handler serving the state of src — usually a
// *router.Router — and of opts' functions. A nil src serves only opts'.
func NewStateHandler(src RouterState, opts StateOptions) *StateHandler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &StateHandler{src: src, opts: opts}
}

// State reads the current state, as ServeHTTP would serve it.
func (h *StateHandler) State() State {
	s := State{Time: h.opts.Now()}
	if h.src != nil {
		p := h.src.Plan()
		rep := h.src.ShadowReport()
		s.Plan, s.Shadow = &p, &rep
		s.Revision = router.Revision(p)
		if st, ok := h.src.(shadowStatser); ok {
			stats := st.ShadowStats()
			s.ShadowStats = &stats
		}
		if b, ok := h.src.(breakerer); ok {
			s.Breakers = b.Breakers()
		}
		if v, ok := h.src.(varianter); ok {
			s.Variants = slices.Sorted(slices.Values(v.Variants()))
		}
	}
	if h.opts.Rollout != nil {
		s.Rollout = h.opts.Rollout()
	}
	if len(h.opts.Extra) > 0 {
		s.Extra = make(map[string]any, len(h.opts.Extra))
		for name, f := range h.opts.Extra {
			s.Extra[name] = f()
		}
	}
	return s
}

// ServeHTTP serves the state as JSON (for HEAD, its headers). A value that
// cannot be marshaled gives 500 Internal Server Error with a JSON
// {"error": ...} body.
func (h *StateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "varhttp: method " + r.Method + " not allowed"}, false)
		return
	}
	pretty := false
	if r.URL != nil {
		if q := r.URL.Query(); q.Has("pretty") {
			v := q.Get("pretty")
			pretty = v != "0" && v != "false"
		}
	}
	writeJSON(w, http.StatusOK, h.State(), pretty)
}

func writeJSON(w http.ResponseWriter, status int, v any, pretty bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		msg, _ := json.Marshal(map[string]string{"error": "varhttp: state: " + err.Error()})
		buf.Write(append(msg, '\n'))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
