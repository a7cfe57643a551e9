package stats

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrInvalidInput reports an argument no test can accept: a NaN or infinite
// value, a confidence or rate outside its open interval, a negative count,
// more successes than trials, or slices of mismatched lengths. Errors returned
// by this package wrap it; check with errors.Is.
var ErrInvalidInput = errors.New("stats: invalid input")

// ErrInsufficientData reports valid input that holds too little information
// for the test: fewer than two observations per group for a t test, zero
// trials, an empty sample, or data without any variation. Errors returned by
// this package wrap it; check with errors.Is.
var ErrInsufficientData = errors.New("stats: insufficient data")

// Alternative is the alternative hypothesis of a test. Every two-sample
// function takes (control, treatment): Greater means treatment > control and
// Less means treatment < control. The zero value is TwoSided.
type Alternative int

const (
	// TwoSided tests treatment ≠ control.
	TwoSided Alternative = iota
	// Greater tests treatment > control.
	Greater
	// Less tests treatment < control.
	Less
)

// String returns "two-sided", "greater" or "less".
func (a Alternative) String() string {
	switch a {
	case TwoSided:
		return "two-sided"
	case Greater:
		return "greater"
	case Less:
		return "less"
	}
	return "Alternative(" + strconv.Itoa(int(a)) + ")"
}

// Interval is a confidence interval [Lo, Hi]. One-sided intervals have an
// infinite end: [Lo, +Inf] for Greater and [-Inf, Hi] for Less. The zero
// value means "no interval".
type Interval struct {
	Lo, Hi float64
}

// Result is the outcome of a test.
type Result struct {
	// Statistic is the test statistic: t, z, U or chi-square, or the
	// likelihood ratio for MixtureSPRT.
	Statistic float64
	// DF is the degrees of freedom; 0 where the test has none.
	DF float64
	// PValue is the p-value for the requested alternative.
	PValue float64
	// Effect is treatment − control (difference of means or of
	// proportions); for MannWhitneyU it is U_treatment/(n_c*n_t), the
	// probability that a treatment value exceeds a control value (ties
	// count half).
	Effect float64
	// CI is the confidence interval for Effect; the zero Interval where the
	// test gives none.
	CI Interval
}

func (a Alternative) valid() bool { return a == TwoSided || a == Greater || a == Less }

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// errorf returns an error that starts with "stats: ", describes the problem
// and wraps sentinel.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("stats: "+format+": %w", append(args, sentinel)...)
}

func checkConfidence(c float64) error {
	if !(c > 0 && c < 1) {
		return errorf(ErrInvalidInput, "confidence %v not in (0, 1)", c)
	}
	return nil
}

func checkAlternative(a Alternative) error {
	if !a.valid() {
		return errorf(ErrInvalidInput, "unknown alternative %d", int(a))
	}
	return nil
}
