package varfeature_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"

	"github.com/varroute/varroute/audience"
	varfeature "github.com/varroute/varroute/contrib/openfeature"
	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// rankerPlan routes Europe 50/50 to v2 and v3, seniors to v1, power users
// of the beta to v3, and the rest 80/15/5.
const rankerPlan = `
name: ranker
audiences:
  - name: europe
    conditions: {key: country, op: in, values: [fr, de, it]}
  - name: seniors
    conditions: {key: age, op: gte, value: 65}
  - name: beta-power
    conditions:
      all:
        - {key: beta, op: equals, value: true}
        - {key: score, op: gt, value: 0.8}
rules:
  - name: eu
    audience: europe
    split: [{variant: v2, weight: 50}, {variant: v3, weight: 50}]
  - audience: seniors
    split: [{variant: v1, weight: 100}]
  - audience: beta-power
    split: [{variant: v3, weight: 100}]
default: [{variant: v1, weight: 80}, {variant: v2, weight: 15}, {variant: v3, weight: 5}]
`

// writeFile replaces the file at path atomically, as plan files should be.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// flagFiles writes each plan to a file of its own and returns the Flags of
// a Config: flag key -> path. A plan "" leaves its file missing.
func flagFiles(t testing.TB, plans map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	flags := make(map[string]string, len(plans))
	for flag, plan := range plans {
		path := filepath.Join(dir, strings.ReplaceAll(flag, "/", "_")+".yaml")
		if plan != "" {
			writeFile(t, path, plan)
		}
		flags[flag] = path
	}
	return flags
}

// quiet polls rarely (tests call Check) and logs nothing.
var quiet = planfile.Options{Interval: time.Hour, Logger: slog.New(slog.DiscardHandler)}

func newProvider(t testing.TB, cfg varfeature.Config) *varfeature.Provider {
	t.Helper()
	if cfg.Watch.Interval == 0 {
		cfg.Watch = quiet
	}
	p, err := varfeature.NewProvider(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// register sets p as the provider of an isolated OpenFeature API, shut down
// when the test ends, and returns a client and the error of the provider's
// initialization.
func register(t testing.TB, p *varfeature.Provider) (*openfeature.Client, error) {
	t.Helper()
	api := isolated.NewAPI()
	t.Cleanup(func() {
		if err := api.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	err := api.SetProviderAndWait(context.Background(), p)
	return api.NewClient(), err
}

// events subscribes to the client's events of type typ.
func events(c *openfeature.Client, typ openfeature.EventType) <-chan openfeature.EventDetails {
	ch := make(chan openfeature.EventDetails, 16)
	f := func(d openfeature.EventDetails) { ch <- d }
	c.AddHandler(typ, &f)
	return ch
}

func await(t testing.TB, ch <-chan openfeature.EventDetails, what string) openfeature.EventDetails {
	t.Helper()
	select {
	case d := <-ch:
		return d
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s event", what)
		return openfeature.EventDetails{}
	}
}

func decider(t testing.TB, planYAML string) *router.Router[string, string] {
	t.Helper()
	plan, err := strategy.ParsePlan([]byte(planYAML))
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string]router.Predictor[string, string]{}
	for _, v := range plan.Variants() {
		variants[v] = router.PredictorFunc[string, string](func(context.Context, string) (string, error) { return v, nil })
	}
	r, err := router.New(router.Config[string, string]{Variants: variants, Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

// randomUnit draws a unit key (or none, one time in 50) and attributes.
func randomUnit(rng *rand.Rand) (key string, attrs map[string]any) {
	if rng.IntN(50) != 0 {
		key = fmt.Sprintf("user-%016x", rng.Uint64())
	}
	attrs = map[string]any{}
	countries := []string{"fr", "de", "it", "us", "br", "jp"}
	if rng.IntN(10) != 0 {
		attrs["country"] = countries[rng.IntN(len(countries))]
	}
	if rng.IntN(10) != 0 {
		attrs["age"] = 18 + rng.IntN(72)
	}
	if rng.IntN(2) == 0 {
		attrs["beta"] = rng.IntN(2) == 0
	}
	if rng.IntN(2) == 0 {
		attrs["score"] = rng.Float64()
	}
	return key, attrs
}

func unitOf(key string, attrs map[string]any) router.Unit {
	u := router.Unit{Key: key}
	for k, v := range attrs {
		switch x := v.(type) {
		case string:
			u.Attrs = append(u.Attrs, audience.String(k, x))
		case int:
			u.Attrs = append(u.Attrs, audience.Int(k, x))
		case bool:
			u.Attrs = append(u.Attrs, audience.Bool(k, x))
		case float64:
			u.Attrs = append(u.Attrs, audience.Float64(k, x))
		}
	}
	return u
}

// TestMatchesDecide: for 100,000 units with attributes the provider's
// variant, rule and reason are Router.Decide's for the same plan — and the
// OpenFeature client's, for the first 5,000.
func TestMatchesDecide(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	p := newProvider(t, varfeature.Config{Flags: flagFiles(t, map[string]string{"ranker": rankerPlan})})
	client, err := register(t, p)
	if err != nil {
		t.Fatal(err)
	}
	r := decider(t, rankerPlan)
	ctx := context.Background()
	reasons := map[openfeature.Reason]int{}
	for i := range 100_000 {
		key, attrs := randomUnit(rng)
		want := r.Decide(unitOf(key, attrs))
		flat := openfeature.FlattenedContext{}
		for k, v := range attrs {
			flat[k] = v
		}
		if key != "" {
			flat[openfeature.TargetingKey] = key
		}
		got := p.StringEvaluation(ctx, "ranker", "default", flat)
		reasons[got.Reason]++
		rule, _ := got.FlagMetadata.GetString(varfeature.MetadataRule)
		reason, _ := got.FlagMetadata.GetString(varfeature.MetadataReason)
		if got.Value != want.Variant || got.Variant != want.Variant || rule != want.Rule || reason != string(want.Reason) || got.Error() != nil {
			t.Fatalf("unit %q %v: provider %+v, Decide %+v", key, attrs, got, want)
		}
		if i < 5000 {
			d, err := client.StringValueDetails(ctx, "ranker", "default", openfeature.NewEvaluationContext(key, attrs))
			if err != nil || d.Value != want.Variant || d.Variant != want.Variant || d.Reason != got.Reason {
				t.Fatalf("unit %q %v: client %+v, %v; Decide %+v", key, attrs, d, err, want)
			}
		}
	}
	t.Logf("reasons: %v", reasons)
	for _, r := range []openfeature.Reason{openfeature.TargetingMatchReason, openfeature.SplitReason, openfeature.DefaultReason} {
		if reasons[r] == 0 {
			t.Errorf("no evaluation with reason %s", r)
		}
	}
}

// TestReasons maps decisions to OpenFeature reasons and flag metadata.
func TestReasons(t *testing.T) {
	const rules = `
audiences: [{name: staff, conditions: {key: staff, op: equals, value: true}}]
rules: [{audience: staff, split: [{variant: b, weight: 100}]}]
`
	plans := map[string]string{
		"static":      "name: static\ndefault: [{variant: a, weight: 100}, {variant: b, weight: 0}]\n",
		"split":       "name: split\ndefault: [{variant: a, weight: 50}, {variant: b, weight: 50}]\n",
		"targeted":    "name: targeted\ndefault: [{variant: a, weight: 50}, {variant: b, weight: 50}]\n" + rules,
		"single":      "name: single\ndefault: [{variant: a, weight: 100}]\n" + rules,
		"static-rule": "name: static-rule\ndefault: [{variant: a, weight: 100}]\n",
	}
	p := newProvider(t, varfeature.Config{Flags: flagFiles(t, plans)})
	client, err := register(t, p)
	if err != nil {
		t.Fatal(err)
	}
	staff := map[string]any{"staff": true}
	tests := []struct {
		name, flag, key string
		attrs           map[string]any
		reason          openfeature.Reason
		metaReason      string
		rule            string
	}{
		{name: "big bang", flag: "static", key: "u1", reason: openfeature.StaticReason, metaReason: "default"},
		{name: "big bang without a key", flag: "static", reason: openfeature.StaticReason, metaReason: "no-key"},
		{name: "default split", flag: "split", key: "u1", reason: openfeature.SplitReason, metaReason: "default"},
		{name: "split without a key", flag: "split", reason: openfeature.DefaultReason, metaReason: "no-key"},
		{name: "rule", flag: "targeted", key: "u1", attrs: staff, reason: openfeature.TargetingMatchReason, metaReason: "rule", rule: "staff"},
		{name: "rule without a key", flag: "targeted", attrs: staff, reason: openfeature.DefaultReason, metaReason: "no-key", rule: "staff"},
		{name: "no rule, one default variant", flag: "single", key: "u1", reason: openfeature.DefaultReason, metaReason: "default"},
		{name: "rule, one default variant", flag: "single", key: "u1", attrs: staff, reason: openfeature.TargetingMatchReason, metaReason: "rule", rule: "staff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := client.StringValueDetails(context.Background(), tc.flag, "none", openfeature.NewEvaluationContext(tc.key, tc.attrs))
			if err != nil {
				t.Fatal(err)
			}
			if d.Reason != tc.reason || d.ErrorCode != "" || d.Value == "none" || d.Variant != d.Value {
				t.Fatalf("%+v, want reason %s", d, tc.reason)
			}
			plan, _ := d.FlagMetadata.GetString(varfeature.MetadataPlan)
			reason, _ := d.FlagMetadata.GetString(varfeature.MetadataReason)
			rule, err := d.FlagMetadata.GetString(varfeature.MetadataRule)
			if plan != tc.flag || reason != tc.metaReason || rule != tc.rule || (tc.rule == "") != (err != nil) {
				t.Fatalf("flag metadata %v, want plan %s, reason %s, rule %q", d.FlagMetadata, tc.flag, tc.metaReason, tc.rule)
			}
		})
	}
}

// TestErrors: every failure has its OpenFeature error code, reason ERROR and
// the default value.
func TestErrors(t *testing.T) {
	good := "name: good\ndefault: [{variant: a, weight: 100}]\n"
	p := newProvider(t, varfeature.Config{Flags: flagFiles(t, map[string]string{
		"good":      good,
		"invalid":   "name: invalid\ndefault: [{variant: a, weight: 90}]\n",
		"garbled":   "name: [garbled\n",
		"misnamed":  "name: other\ndefault: [{variant: a, weight: 100}]\n",
		"missing":   "",
		"unknown-f": "name: unknown-f\ndefault: [{variant: a, weight: 100}]\nsurprise: 1\n",
	})})
	client, err := register(t, p)
	if err == nil || !strings.Contains(err.Error(), "5 of 6 plan files refused") {
		t.Fatalf("init: %v, want 5 of 6 files refused", err)
	}
	if s := client.State(); s != openfeature.ErrorState {
		t.Fatalf("state %s after a failed init, want ERROR", s)
	}
	ctx := context.Background()
	ec := openfeature.NewEvaluationContext("u1", nil)
	type eval func() (any, openfeature.ResolutionDetail, error)
	str := func(flag string) eval {
		return func() (any, openfeature.ResolutionDetail, error) {
			d, err := client.StringValueDetails(ctx, flag, "dflt", ec)
			return d.Value, d.ResolutionDetail, err
		}
	}
	tests := []struct {
		name   string
		eval   eval
		want   openfeature.ErrorCode
		dflt   any
		inText string
	}{
		{name: "unknown flag", eval: str("nope"), want: openfeature.FlagNotFoundCode, dflt: "dflt", inText: `no flag "nope"`},
		{name: "missing file", eval: str("missing"), want: openfeature.FlagNotFoundCode, dflt: "dflt", inText: "no such file"},
		{name: "invalid plan", eval: str("invalid"), want: openfeature.ParseErrorCode, dflt: "dflt", inText: "default"},
		{name: "garbled file", eval: str("garbled"), want: openfeature.ParseErrorCode, dflt: "dflt"},
		{name: "misnamed plan", eval: str("misnamed"), want: openfeature.ParseErrorCode, dflt: "dflt", inText: `plan "other" is in the file of flag "misnamed"`},
		{name: "unknown field", eval: str("unknown-f"), want: openfeature.ParseErrorCode, dflt: "dflt", inText: "surprise"},
		{name: "boolean", eval: func() (any, openfeature.ResolutionDetail, error) {
			d, err := client.BooleanValueDetails(ctx, "good", true, ec)
			return d.Value, d.ResolutionDetail, err
		}, want: openfeature.TypeMismatchCode, dflt: true, inText: "not a boolean"},
		{name: "integer", eval: func() (any, openfeature.ResolutionDetail, error) {
			d, err := client.IntValueDetails(ctx, "good", 7, ec)
			return d.Value, d.ResolutionDetail, err
		}, want: openfeature.TypeMismatchCode, dflt: int64(7)},
		{name: "float", eval: func() (any, openfeature.ResolutionDetail, error) {
			d, err := client.FloatValueDetails(ctx, "good", 0.5, ec)
			return d.Value, d.ResolutionDetail, err
		}, want: openfeature.TypeMismatchCode, dflt: 0.5},
		{name: "object", eval: func() (any, openfeature.ResolutionDetail, error) {
			d, err := client.ObjectValueDetails(ctx, "good", "obj", ec)
			return d.Value, d.ResolutionDetail, err
		}, want: openfeature.TypeMismatchCode, dflt: "obj"},
		{name: "boolean of an unknown flag", eval: func() (any, openfeature.ResolutionDetail, error) {
			d, err := client.BooleanValueDetails(ctx, "nope", true, ec)
			return d.Value, d.ResolutionDetail, err
		}, want: openfeature.FlagNotFoundCode, dflt: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, d, err := tc.eval()
			if err == nil || d.ErrorCode != tc.want || d.Reason != openfeature.ErrorReason || v != tc.dflt || d.Variant != "" {
				t.Fatalf("value %v, %+v, %v; want %s with the default value %v", v, d, err, tc.want, tc.dflt)
			}
			if !strings.Contains(d.ErrorMessage, tc.inText) {
				t.Fatalf("message %q does not mention %q", d.ErrorMessage, tc.inText)
			}
		})
	}
	if v, err := client.StringValue(ctx, "good", "dflt", ec); err != nil || v != "a" {
		t.Fatalf("a good flag beside broken ones: %q, %v", v, err)
	}
}

// TestContextErrors: the targeting key is checked when the provider is
// called directly, as the SDK does not type it for us.
func TestContextErrors(t *testing.T) {
	flags := flagFiles(t, map[string]string{"f": "name: f\ndefault: [{variant: a, weight: 50}, {variant: b, weight: 50}]\n"})
	ctx := context.Background()

	p := newProvider(t, varfeature.Config{Flags: flags})
	if d := p.StringEvaluation(ctx, "f", "dflt", nil); d.ResolutionError.Error() == "" || !strings.HasPrefix(d.ResolutionError.Error(), string(openfeature.ProviderNotReadyCode)) {
		t.Fatalf("before Init: %+v, want PROVIDER_NOT_READY", d)
	}
	if err := p.Init(openfeature.EvaluationContext{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Shutdown)
	d := p.StringEvaluation(ctx, "f", "dflt", openfeature.FlattenedContext{openfeature.TargetingKey: 42})
	if !strings.HasPrefix(d.ResolutionError.Error(), string(openfeature.InvalidContextCode)) || d.Value != "dflt" {
		t.Fatalf("numeric targeting key: %+v, want INVALID_CONTEXT", d)
	}

	strict := newProvider(t, varfeature.Config{Flags: flags, RequireTargetingKey: true})
	client, err := register(t, strict)
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.StringValueDetails(ctx, "f", "dflt", openfeature.NewEvaluationContext("", map[string]any{"country": "fr"}))
	if err == nil || got.ErrorCode != openfeature.TargetingKeyMissingCode || got.Value != "dflt" {
		t.Fatalf("no targeting key: %+v, %v; want TARGETING_KEY_MISSING", got, err)
	}
	if v, err := client.StringValue(ctx, "f", "dflt", openfeature.NewEvaluationContext("u1", nil)); err != nil || v == "dflt" {
		t.Fatalf("with a key: %q, %v", v, err)
	}
}

// TestConfigurationChanged: an applied plan change is announced with
// PROVIDER_CONFIGURATION_CHANGED naming the flag and evaluates at once; a
// refused one is not announced, and the old plan keeps serving.
func TestConfigurationChanged(t *testing.T) {
	flags := flagFiles(t, map[string]string{
		"ranker": "name: ranker\ndefault: [{variant: v1, weight: 100}]\n",
		"other":  "name: other\ndefault: [{variant: x, weight: 100}]\n",
	})
	var mu sync.Mutex // OnChange runs on the goroutine that checked the file
	var applied []string
	p := newProvider(t, varfeature.Config{Flags: flags, Watch: planfile.Options{
		Interval: time.Hour,
		Logger:   slog.New(slog.DiscardHandler),
		OnChange: func(c planfile.Change) {
			mu.Lock()
			defer mu.Unlock()
			applied = append(applied, c.New.Name)
		},
	}})
	client, err := register(t, p)
	if err != nil {
		t.Fatal(err)
	}
	changed := events(client, openfeature.ProviderConfigChange)
	ctx := context.Background()
	ec := openfeature.NewEvaluationContext("u1", nil)

	writeFile(t, flags["ranker"], "name: ranker\ndefault: [{variant: v2, weight: 100}]\n")
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	ev := await(t, changed, "configuration changed")
	if ev.ProviderName != varfeature.Name || len(ev.FlagChanges) != 1 || ev.FlagChanges[0] != "ranker" {
		t.Fatalf("event %+v, want flag ranker changed", ev)
	}
	if v, err := client.StringValue(ctx, "ranker", "dflt", ec); err != nil || v != "v2" {
		t.Fatalf("after the change: %q, %v; want v2", v, err)
	}

	writeFile(t, flags["ranker"], "name: ranker\ndefault: [{variant: v3, weight: 10}]\n") // weights do not sum to 100
	err = p.Check()
	var se *strategy.Error
	if !errors.As(err, &se) || se.File != flags["ranker"] || !errors.Is(err, strategy.ErrInvalidPlan) {
		t.Fatalf("refused change: %v", err)
	}
	if v, err := client.StringValue(ctx, "ranker", "dflt", ec); err != nil || v != "v2" {
		t.Fatalf("after a refused change: %q, %v; want v2 still", v, err)
	}
	writeFile(t, flags["other"], "name: other\ndefault: [{variant: y, weight: 100}]\n")
	writeFile(t, flags["ranker"], "name: ranker\ndefault: [{variant: v2, weight: 100}]\n") // the same plan as serving
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	ev = await(t, changed, "configuration changed")
	if len(ev.FlagChanges) != 1 || ev.FlagChanges[0] != "other" {
		t.Fatalf("event %+v, want only flag other changed", ev)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"other", "ranker", "ranker", "other"}; fmt.Sprint(applied) != fmt.Sprint(want) {
		t.Fatalf("Config.Watch.OnChange saw %v, want %v", applied, want)
	}
	if s := client.State(); s != openfeature.ReadyState {
		t.Fatalf("state %s, want READY", s)
	}
}

// TestReadyAfterFailedInit: a provider whose init refused a file reports
// ERROR, serves its other flags, and becomes READY when the file is fixed.
func TestReadyAfterFailedInit(t *testing.T) {
	flags := flagFiles(t, map[string]string{
		"good":   "name: good\ndefault: [{variant: a, weight: 100}]\n",
		"broken": "name: broken\ndefault: []\n",
	})
	var refused atomic.Int64
	p := newProvider(t, varfeature.Config{Flags: flags, Watch: planfile.Options{
		Interval: time.Hour,
		Logger:   slog.New(slog.DiscardHandler),
		OnError:  func(error) { refused.Add(1) },
	}})
	client, err := register(t, p)
	if err == nil || !strings.Contains(err.Error(), flags["broken"]) {
		t.Fatalf("init: %v, want an error naming %s", err, flags["broken"])
	}
	if n := refused.Load(); n != 1 {
		t.Fatalf("Config.Watch.OnError called %d times, want 1", n)
	}
	if s := client.State(); s != openfeature.ErrorState {
		t.Fatalf("state %s, want ERROR", s)
	}
	ready := events(client, openfeature.ProviderReady)
	changed := events(client, openfeature.ProviderConfigChange)
	ctx := context.Background()
	if v, err := client.StringValue(ctx, "good", "dflt", openfeature.EvaluationContext{}); err != nil || v != "a" {
		t.Fatalf("good flag: %q, %v", v, err)
	}

	writeFile(t, flags["broken"], "name: broken\ndefault: [{variant: b, weight: 100}]\n")
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	if ev := await(t, changed, "configuration changed"); fmt.Sprint(ev.FlagChanges) != "[broken]" {
		t.Fatalf("event %+v", ev)
	}
	await(t, ready, "ready")
	if s := client.State(); s != openfeature.ReadyState {
		t.Fatalf("state %s, want READY", s)
	}
	if v, err := client.StringValue(ctx, "broken", "dflt", openfeature.EvaluationContext{}); err != nil || v != "b" {
		t.Fatalf("fixed flag: %q, %v", v, err)
	}
}

// TestShutdown: after Shutdown evaluations fail with PROVIDER_NOT_READY; a
// second Init reads the files again.
func TestShutdown(t *testing.T) {
	flags := flagFiles(t, map[string]string{"f": "name: f\ndefault: [{variant: a, weight: 100}]\n"})
	p := newProvider(t, varfeature.Config{Flags: flags})
	ctx := context.Background()
	for round := range 2 {
		if err := p.InitWithContext(ctx, openfeature.EvaluationContext{}); err != nil {
			t.Fatal(err)
		}
		if err := p.InitWithContext(ctx, openfeature.EvaluationContext{}); err != nil { // running: nothing to do
			t.Fatal(err)
		}
		if d := p.StringEvaluation(ctx, "f", "dflt", nil); d.Value != "a" {
			t.Fatalf("round %d: %+v", round, d)
		}
		if err := p.ShutdownWithContext(ctx); err != nil {
			t.Fatal(err)
		}
		if err := p.ShutdownWithContext(ctx); err != nil {
			t.Fatal(err)
		}
		d := p.StringEvaluation(ctx, "f", "dflt", nil)
		if d.Value != "dflt" || !strings.HasPrefix(d.ResolutionError.Error(), string(openfeature.ProviderNotReadyCode)) {
			t.Fatalf("round %d, after Shutdown: %+v", round, d)
		}
	}
	if err := p.Check(); err == nil {
		t.Fatal("Check after Shutdown: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.InitWithContext(cancelled, openfeature.EvaluationContext{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Init with a cancelled context: %v", err)
	}
	if d := p.StringEvaluation(ctx, "f", "dflt", nil); d.Value != "dflt" {
		t.Fatalf("after a cancelled Init: %+v, want not ready", d)
	}
}

func TestNewProviderConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  varfeature.Config
	}{
		{name: "no flags"},
		{name: "empty key", cfg: varfeature.Config{Flags: map[string]string{"": "p.yaml"}}},
		{name: "empty path", cfg: varfeature.Config{Flags: map[string]string{"f": ""}}},
		{name: "bad interval", cfg: varfeature.Config{Flags: map[string]string{"f": "p.yaml"}, Watch: planfile.Options{Interval: -1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := varfeature.NewProvider(tc.cfg); !errors.Is(err, varfeature.ErrConfig) {
				t.Fatalf("error %v, want ErrConfig", err)
			}
		})
	}
}

func TestMetadata(t *testing.T) {
	p := newProvider(t, varfeature.Config{Flags: map[string]string{"f": "p.yaml"}})
	if m := p.Metadata(); m.Name != "varroute" {
		t.Fatalf("metadata %+v", m)
	}
	if h := p.Hooks(); len(h) != 0 {
		t.Fatalf("hooks %v", h)
	}
}
