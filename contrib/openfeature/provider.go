package varfeature

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"

	"github.com/open-feature/go-sdk/openfeature"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/planfile"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// Name is the provider's name in its Metadata and events.
const Name = "varroute"

// ErrConfig is matched by the errors of NewProvider.
var ErrConfig = errors.New("varfeature: invalid config")

// Config configures a Provider. Flags is required.
type Config struct {
	// Flags maps each flag key to the plan file that defines it (YAML or
	// JSON, see planfile). The plan in the file must be named as the flag:
	// flag key = plan name, which also salts the hash, so a flag evaluates
	// every unit as a router serving that plan decides it. A file whose
	// plan has another name is refused.
	Flags map[string]string
	// Watch configures the plan file watchers: interval, size limit,
	// logger (see planfile.Options). Its OnChange and OnError, if not nil,
	// are called too, on the goroutine that checked the file; the event of
	// a change is queued after OnChange returns. The zero value polls every
	// second.
	Watch planfile.Options
	// RequireTargetingKey makes an evaluation without a targeting key fail
	// with TARGETING_KEY_MISSING. False means such an evaluation is an
	// anonymous unit, as in a router: it is never hashed and gets the
	// majority variant of its split, with reason DEFAULT.
	RequireTargetingKey bool
}

// A Provider is an OpenFeature provider (openfeature.FeatureProvider) that
// evaluates varroute plans as string flags: the flag key is the plan's name,
// the evaluation context's targeting key the unit key, and its attributes
// the unit's audience attributes; the value is the variant. See the package
// documentation for the mapping of reasons and errors.
//
// It implements openfeature.StateHandler and ContextAwareStateHandler (Init
// starts one planfile.Watcher per flag, Shutdown stops them) and
// openfeature.EventHandler (PROVIDER_CONFIGURATION_CHANGED when a plan
// changes). A Provider is safe for concurrent use. Create one with
// NewProvider; the zero value is not usable.
type Provider struct {
	slots      map[string]*slot // by flag key; fixed at NewProvider
	keys       []string         // flag keys, sorted
	opts       planfile.Options
	requireKey bool
	events     chan openfeature.Event

	life     sync.Mutex // serializes Init and Shutdown; guards the fields below
	running  bool
	watchers []*planfile.Watcher
	emitter  *emitter
}

// NewProvider checks cfg and returns a Provider of its flags. It reads no
// file: Init does. It returns an error matching ErrConfig if Flags is empty,
// has an empty key or path, or Watch is invalid (see planfile.NewWatcher).
func NewProvider(cfg Config) (*Provider, error) {
	if len(cfg.Flags) == 0 {
		return nil, fmt.Errorf("%w: no flags", ErrConfig)
	}
	p := &Provider{
		slots:      make(map[string]*slot, len(cfg.Flags)),
		keys:       slices.Sorted(maps.Keys(cfg.Flags)),
		opts:       cfg.Watch,
		requireKey: cfg.RequireTargetingKey,
		events:     make(chan openfeature.Event),
	}
	for _, flag := range p.keys {
		path := cfg.Flags[flag]
		if flag == "" || path == "" {
			return nil, fmt.Errorf("%w: flag %q: empty flag key or path %q", ErrConfig, flag, path)
		}
		s := &slot{flag: flag, path: path}
		if _, err := planfile.NewWatcher(path, s, cfg.Watch); err != nil { // checks the options
			return nil, fmt.Errorf("%w: flag %q: %w", ErrConfig, flag, err)
		}
		p.slots[flag] = s
	}
	return p, nil
}

// Metadata returns the provider's name, Name.
func (p *Provider) Metadata() openfeature.Metadata { return openfeature.Metadata{Name: Name} }

// Hooks returns no hook.
func (p *Provider) Hooks() []openfeature.Hook { return nil }

// EventChannel returns the channel of the provider's events: a
// PROVIDER_CONFIGURATION_CHANGED event, whose FlagChanges lists the flags,
// each time plans change while the provider runs, and a PROVIDER_READY
// event when every flag has a plan after Init reported an error. Events
// wait in a queue until they are received — changes that pile up are
// merged into one event — so an application that does not read them never
// delays the watchers; events not received by Shutdown are dropped. The
// channel is never closed.
func (p *Provider) EventChannel() <-chan openfeature.Event { return p.events }

// Init calls InitWithContext with a background context.
func (p *Provider) Init(evalCtx openfeature.EvaluationContext) error {
	return p.InitWithContext(context.Background(), evalCtx)
}

// InitWithContext reads every flag's plan file once and then watches them,
// each on a goroutine of its own, until Shutdown. It returns nil if every
// file was applied; otherwise an error naming each refused file (the
// errors of planfile.Watcher.Check, joined), while the flags whose files were
// applied evaluate normally and the others fail with the error codes the
// package documentation lists until their files are fixed — the watchers
// keep trying, and a PROVIDER_READY event follows when every flag has a
// plan. It returns ctx's error if ctx ends before every file was read, and
// the provider is then not initialized.
// Calling InitWithContext while the provider runs does nothing. The
// evaluation context is not used: a plan decides per evaluation.
func (p *Provider) InitWithContext(ctx context.Context, _ openfeature.EvaluationContext) error {
	p.life.Lock()
	defer p.life.Unlock()
	if p.running {
		return nil
	}
	em := newEmitter(p.events)
	ws := make([]*planfile.Watcher, 0, len(p.keys))
	var errs []error
	for _, flag := range p.keys {
		s := p.slots[flag]
		s.announce.Store(false)
		opts := p.opts
		opts.OnChange = func(c planfile.Change) {
			if p.opts.OnChange != nil {
				p.opts.OnChange(c)
			}
			p.changed(em, s)
		}
		opts.OnError = func(err error) {
			s.refused(err)
			if p.opts.OnError != nil {
				p.opts.OnError(err)
			}
		}
		w, err := planfile.NewWatcher(s.path, s, opts)
		if err != nil { // NewProvider checked the options
			return fmt.Errorf("varfeature: flag %q: %w", flag, err)
		}
		if err := ctx.Err(); err != nil {
			for _, s := range p.slots {
				s.reset() // no half-initialized provider
			}
			return fmt.Errorf("varfeature: init: %w", err)
		}
		if err := w.Check(); err != nil {
			errs = append(errs, err)
		}
		ws = append(ws, w)
	}
	if len(errs) > 0 {
		em.awaitReady() // before the watchers run, which may fix the last file
	}
	em.start()
	for i, w := range ws {
		p.slots[p.keys[i]].announce.Store(true)
		w.Start()
	}
	p.running, p.watchers, p.emitter = true, ws, em
	if len(errs) > 0 {
		return fmt.Errorf("varfeature: %d of %d plan files refused: %w", len(errs), len(ws), errors.Join(errs...))
	}
	return nil
}

// changed is called after a watcher applied a plan to s.
func (p *Provider) changed(em *emitter, s *slot) {
	if !s.announce.Load() {
		return // the first check, in Init: no event before the provider is ready
	}
	em.configChanged(s.flag, p.loaded() == len(p.keys))
}

// loaded returns the number of flags that have a plan.
func (p *Provider) loaded() int {
	n := 0
	for _, s := range p.slots {
		if s.cur.Load() != nil {
			n++
		}
	}
	return n
}

// Shutdown calls ShutdownWithContext with a background context.
func (p *Provider) Shutdown() { _ = p.ShutdownWithContext(context.Background()) }

// ShutdownWithContext stops the watchers and the event queue, waiting for
// them or for ctx to end (then it returns ctx's error, and can be called
// again to finish), and forgets the plans: evaluations fail with
// PROVIDER_NOT_READY until the next Init. Calling it when the provider is
// not running returns nil.
func (p *Provider) ShutdownWithContext(ctx context.Context) error {
	p.life.Lock()
	defer p.life.Unlock()
	if !p.running {
		return nil
	}
	for _, w := range p.watchers {
		if err := w.Close(ctx); err != nil {
			return fmt.Errorf("varfeature: shutdown: %w", err)
		}
	}
	if err := p.emitter.close(ctx); err != nil {
		return fmt.Errorf("varfeature: shutdown: %w", err)
	}
	for _, s := range p.slots {
		s.reset()
	}
	p.running, p.watchers, p.emitter = false, nil, nil
	return nil
}

// Check reads every flag's plan file now, as the watchers do at each poll,
// and applies the valid changes (with their events). It returns the
// error of each file refused (see planfile.Watcher.Check), joined, or nil.
// Use it to apply a change at once — on a signal, say — rather than at the
// next poll. Before Init and after Shutdown it returns an error. It must
// not be called from Config.Watch's callbacks.
func (p *Provider) Check() error {
	p.life.Lock() // so that Shutdown cannot forget plans while a check applies one
	defer p.life.Unlock()
	if !p.running {
		return errors.New("varfeature: check: provider not initialized")
	}
	var errs []error
	for _, w := range p.watchers {
		if err := w.Check(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// StringEvaluation decides the unit of flatCtx under the plan of flag and
// returns the variant as the value.
func (p *Provider) StringEvaluation(_ context.Context, flag string, defaultValue string, flatCtx openfeature.FlattenedContext) openfeature.StringResolutionDetail {
	d, c, rerr := p.decide(flag, flatCtx)
	if c == nil {
		return openfeature.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: failed(rerr)}
	}
	md := openfeature.FlagMetadata{MetadataPlan: c.planName, MetadataReason: boxedReason(d.Reason)}
	if d.Rule != "" {
		md[MetadataRule] = c.rule(d.Rule)
	}
	return openfeature.StringResolutionDetail{
		Value: d.Variant,
		ProviderResolutionDetail: openfeature.ProviderResolutionDetail{
			Reason:       c.reason(d),
			Variant:      d.Variant,
			FlagMetadata: md,
		},
	}
}

// BooleanEvaluation returns defaultValue and TYPE_MISMATCH (or
// FLAG_NOT_FOUND): varroute flags are strings.
func (p *Provider) BooleanEvaluation(_ context.Context, flag string, defaultValue bool, _ openfeature.FlattenedContext) openfeature.BoolResolutionDetail {
	return openfeature.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: p.mismatch(flag, "boolean")}
}

// IntEvaluation returns defaultValue and TYPE_MISMATCH (or FLAG_NOT_FOUND):
// varroute flags are strings.
func (p *Provider) IntEvaluation(_ context.Context, flag string, defaultValue int64, _ openfeature.FlattenedContext) openfeature.IntResolutionDetail {
	return openfeature.IntResolutionDetail{Value: defaultValue, ProviderResolutionDetail: p.mismatch(flag, "integer")}
}

// FloatEvaluation returns defaultValue and TYPE_MISMATCH (or
// FLAG_NOT_FOUND): varroute flags are strings.
func (p *Provider) FloatEvaluation(_ context.Context, flag string, defaultValue float64, _ openfeature.FlattenedContext) openfeature.FloatResolutionDetail {
	return openfeature.FloatResolutionDetail{Value: defaultValue, ProviderResolutionDetail: p.mismatch(flag, "float")}
}

// ObjectEvaluation returns defaultValue and TYPE_MISMATCH (or
// FLAG_NOT_FOUND): varroute flags are strings.
func (p *Provider) ObjectEvaluation(_ context.Context, flag string, defaultValue any, _ openfeature.FlattenedContext) openfeature.InterfaceResolutionDetail {
	return openfeature.InterfaceResolutionDetail{Value: defaultValue, ProviderResolutionDetail: p.mismatch(flag, "object")}
}

func (p *Provider) mismatch(flag, typ string) openfeature.ProviderResolutionDetail {
	if p.slots[flag] == nil {
		return failed(notFound(flag))
	}
	return failed(openfeature.NewTypeMismatchResolutionError(fmt.Sprintf("varfeature: flag %q is a string (the variant), not a %s", flag, typ)))
}

func notFound(flag string) openfeature.ResolutionError {
	return openfeature.NewFlagNotFoundResolutionError(fmt.Sprintf("varfeature: no flag %q", flag))
}

func failed(rerr openfeature.ResolutionError) openfeature.ProviderResolutionDetail {
	return openfeature.ProviderResolutionDetail{ResolutionError: rerr, Reason: openfeature.ErrorReason}
}

// decide returns the decision for the unit of flatCtx under flag's current
// plan, or a nil *compiled and the resolution error.
func (p *Provider) decide(flag string, flatCtx openfeature.FlattenedContext) (router.Decision, *compiled, openfeature.ResolutionError) {
	s := p.slots[flag]
	if s == nil {
		return router.Decision{}, nil, notFound(flag)
	}
	c := s.cur.Load()
	if c == nil {
		return router.Decision{}, nil, s.unavailable()
	}
	var key string
	if v, ok := flatCtx[openfeature.TargetingKey]; ok {
		k, isString := v.(string)
		if !isString {
			return router.Decision{}, nil, openfeature.NewInvalidContextResolutionError(
				fmt.Sprintf("varfeature: targeting key is a %T, want a string", v))
		}
		key = k
	}
	if key == "" && p.requireKey {
		return router.Decision{}, nil, openfeature.NewTargetingKeyMissingResolutionError("varfeature: no targeting key")
	}
	var buf [16]audience.Attr
	d := c.r.Decide(router.Unit{Key: key, Attrs: appendAttrs(buf[:0], flatCtx)})
	return d, c, openfeature.ResolutionError{}
}

// appendAttrs appends the attributes of flatCtx that audiences can match —
// strings, booleans, integers, floats and string lists — to dst. The
// targeting key is the unit key, not an attribute; values of other types
// (nested structures, times) are left out.
func appendAttrs(dst audience.Attributes, flatCtx openfeature.FlattenedContext) audience.Attributes {
	for k, v := range flatCtx {
		if k == openfeature.TargetingKey {
			continue
		}
		switch v.(type) {
		case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, []string:
			dst = append(dst, audience.Any(k, v)) // the kinds audiences match, converted as everywhere else
		}
	}
	return dst
}

// The keys of the flag metadata of an evaluation.
const (
	// MetadataPlan is the name of the plan that decided (the flag key).
	MetadataPlan = "plan"
	// MetadataRule is the name of the rule that matched; absent for the
	// default split.
	MetadataRule = "rule"
	// MetadataReason is varroute's reason: "rule", "default" or "no-key"
	// (router.Reason).
	MetadataReason = "reason"
)

// unavailableError maps the error that left a flag without a plan to a
// resolution error.
func unavailableError(flag string, err error) openfeature.ResolutionError {
	msg := fmt.Sprintf("varfeature: flag %q has no plan: %v", flag, err)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return openfeature.NewFlagNotFoundResolutionError(msg)
	case errors.Is(err, strategy.ErrInvalidPlan), errors.Is(err, planfile.ErrTooLarge):
		return openfeature.NewParseErrorResolutionError(msg, err)
	default:
		return openfeature.NewGeneralResolutionError(msg, err)
	}
}

// The interfaces of the OpenFeature SDK that a Provider implements.
var (
	_ openfeature.FeatureProvider          = (*Provider)(nil)
	_ openfeature.EventHandler             = (*Provider)(nil)
	_ openfeature.StateHandler             = (*Provider)(nil)
	_ openfeature.ContextAwareStateHandler = (*Provider)(nil)
)
