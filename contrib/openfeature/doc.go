// Package varfeature is an OpenFeature provider (github.com/open-feature/go-sdk)
// that evaluates varroute plans as flags, for teams that already evaluate
// flags through OpenFeature. Import it as
//
//	import varfeature "github.com/varroute/varroute/contrib/openfeature"
//
// It lives in a module of its own, so the core module does not depend on the
// OpenFeature SDK.
//
//	p, err := varfeature.NewProvider(varfeature.Config{
//		Flags: map[string]string{"ranker": "/etc/plans/ranker.yaml"},
//	})
//	err = openfeature.SetProviderAndWait(p)
//	client := openfeature.NewDefaultClient()
//	variant, err := client.StringValue(ctx, "ranker", "v1",
//		openfeature.NewEvaluationContext(userID, map[string]any{"country": "fr", "age": 31}))
//
// # Flags are plans
//
// Each flag is a plan file (Config.Flags), read and watched by a
// planfile.Watcher from Init to Shutdown: a valid change is applied
// atomically, a file that does not parse or validate is refused (and
// logged) while the previous plan keeps serving, and every applied change
// is announced with a PROVIDER_CONFIGURATION_CHANGED event naming the flag.
//
//   - The flag key is the plan's name; a file whose plan has another name is
//     refused.
//   - The evaluation context's targeting key is the unit key. Without one,
//     the unit is anonymous — never hashed, given the majority variant of
//     its split, as a router does — unless Config.RequireTargetingKey makes
//     that a TARGETING_KEY_MISSING error.
//   - The context's other attributes are the unit's audience attributes:
//     strings, booleans, every integer and float type, and string lists.
//     Values of other types (nested structures, times) are left out, so no
//     condition on them holds.
//   - The value and the variant are the plan's variant for the unit: the
//     variant router.Router.Decide gives for the same plan and unit. Flags
//     are strings: boolean, integer, float and object evaluations fail
//     with TYPE_MISMATCH.
//
// # Reasons
//
//	STATIC           the plan has no rule and one variant of positive weight
//	TARGETING_MATCH  the unit matched a rule (router.ReasonRule)
//	SPLIT            no rule matched and the default split, of several
//	                 variants, assigned the unit by its key
//	DEFAULT          no rule matched and the default split has one variant;
//	                 or the unit had no key (router.ReasonNoKey)
//	ERROR            the evaluation failed (see below)
//
// Each successful evaluation's flag metadata holds "plan" (the plan name),
// "rule" (the rule that matched, absent for the default split) and
// "reason" (varroute's own reason: rule, default or no-key).
//
// # Errors
//
//	FLAG_NOT_FOUND         the key is not in Config.Flags, or the flag's
//	                       plan file does not exist (and never did)
//	PARSE_ERROR            the flag's plan file was refused and no plan has
//	                       been applied yet: it does not parse or validate,
//	                       names the wrong plan, or is too large
//	TYPE_MISMATCH          a boolean, integer, float or object evaluation
//	TARGETING_KEY_MISSING  no targeting key and Config.RequireTargetingKey
//	INVALID_CONTEXT        a targeting key that is not a string
//	PROVIDER_NOT_READY     before Init or after Shutdown
//	GENERAL                the plan file could not be read for another
//	                       reason (permissions, say)
//
// A failed evaluation returns the caller's default value. Once a flag has a
// plan, a refused change does not fail its evaluations: the previous plan
// keeps serving, as it does in a router.
//
// # Lifecycle and events
//
// Init reads every plan file once, then starts the watchers. If a file was
// refused, Init returns an error naming it (the SDK reports the provider
// in state ERROR) but the other flags evaluate normally; when every flag
// has a plan, the provider emits PROVIDER_READY. Shutdown stops the
// watchers. Check applies changes at once instead of at the next poll.
//
// # Cost
//
// Each flag holds a router.Router[struct{}, struct{}] with no-op variants
// and no telemetry, rebuilt when its plan changes; an evaluation is one
// Decide plus the flag metadata map. Most of an evaluation through the
// OpenFeature client is the SDK's own work (contexts merged, hooks run);
// BENCHMARKS.md has the measured figures.
package varfeature
