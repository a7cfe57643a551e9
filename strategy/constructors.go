package strategy

// BigBang returns a plan that sends every unit to variant: a replacement all
// at once. Its name is "bigbang".
func BigBang(variant string) Plan {
	return Plan{Name: "bigbang", Default: Split{{Variant: variant, Weight: 100}}}
}

// Canary returns a plan that sends a sticky percent of units to candidate
// and the rest to baseline, with baseline as the candidate's fallback. Its
// name, "canary/" followed by the candidate, salts the hash, so raising
// percent on a plan of the same name only moves units from baseline to
// candidate. A percent outside [0, 100] gives a plan that fails Validate.
func Canary(baseline, candidate string, percent float64) Plan {
	return Plan{
		Name: "canary/" + candidate,
		Default: Split{
			{Variant: baseline, Weight: 100 - percent},
			{Variant: candidate, Weight: percent},
		},
		Fallbacks: map[string]string{candidate: baseline},
	}
}

// ABTest returns a plan named name (the experiment's salt) that divides all
// units by split, such as Even("a", "b") or
// Split{{Variant: "a", Weight: 80}, {Variant: "b", Weight: 20}}.
func ABTest(name string, split Split) Plan {
	return Plan{Name: name, Default: split}
}

// Shadow returns a plan that sends every unit to primary and mirrors every
// unit to each of shadows. Its name is "shadow/" followed by the primary.
func Shadow(primary string, shadows ...string) Plan {
	p := Plan{Name: "shadow/" + primary, Default: Split{{Variant: primary, Weight: 100}}}
	for _, s := range shadows {
		p.Shadows = append(p.Shadows, Mirror{Variant: s, Percent: 100})
	}
	return p
}
