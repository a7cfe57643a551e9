package stats

import "math"

// SampleSizeProportions returns the number of units needed per group to
// detect an absolute change mde in a conversion rate (p2 = baseline + mde)
// with significance alpha and the given power, by the normal approximation,
// rounded up:
//
//	p1 = baseline, p2 = baseline + mde, pbar = (p1+p2)/2
//	n  = (z_a*sqrt(2*pbar*(1-pbar)) + z_b*sqrt(p1(1-p1) + p2(1-p2)))^2 / mde^2
//	z_a = z_{1-alpha/2} (TwoSided) or z_{1-alpha} (one-sided), z_b = z_power
//
// It returns an error wrapping ErrInvalidInput when baseline, baseline+mde,
// alpha or power is not strictly inside (0, 1), mde is 0, the alternative is
// unknown or the result does not fit in an int64.
func SampleSizeProportions(baseline, mde, alpha, power float64, alt Alternative) (int64, error) {
	za, zb, err := sampleSizeZ(alpha, power, alt)
	if err != nil {
		return 0, err
	}
	if !(baseline > 0 && baseline < 1) {
		return 0, errorf(ErrInvalidInput, "sample size: baseline %v not in (0, 1)", baseline)
	}
	p2 := baseline + mde
	if mde == 0 || !(p2 > 0 && p2 < 1) {
		return 0, errorf(ErrInvalidInput, "sample size: mde %v must be nonzero with baseline+mde in (0, 1)", mde)
	}
	p1 := baseline
	pbar := (p1 + p2) / 2
	s := za*math.Sqrt(2*pbar*(1-pbar)) + zb*math.Sqrt(p1*(1-p1)+p2*(1-p2))
	return ceilN(s * s / (mde * mde))
}

// SampleSizeMeans returns the number of units needed per group to detect a
// change mde in a mean whose standard deviation is stddev, with significance
// alpha and the given power, by the normal approximation, rounded up:
//
//	n = 2*(z_a + z_b)^2 * stddev^2 / mde^2
//
// z_a and z_b are those of SampleSizeProportions. A stddev of 0 gives 0. It
// returns an error wrapping ErrInvalidInput for a negative or non-finite
// stddev, mde 0 or non-finite, alpha or power outside (0, 1), an unknown
// alternative, or a result that does not fit in an int64.
func SampleSizeMeans(stddev, mde, alpha, power float64, alt Alternative) (int64, error) {
	za, zb, err := sampleSizeZ(alpha, power, alt)
	if err != nil {
		return 0, err
	}
	if !(stddev >= 0) || math.IsInf(stddev, 0) {
		return 0, errorf(ErrInvalidInput, "sample size: stddev %v must be finite and >= 0", stddev)
	}
	if mde == 0 || !finite(mde) {
		return 0, errorf(ErrInvalidInput, "sample size: mde %v must be finite and nonzero", mde)
	}
	z := za + zb
	return ceilN(2 * z * z * (stddev / mde) * (stddev / mde))
}

func sampleSizeZ(alpha, power float64, alt Alternative) (za, zb float64, err error) {
	if err := checkAlternative(alt); err != nil {
		return 0, 0, err
	}
	if !(alpha > 0 && alpha < 1) {
		return 0, 0, errorf(ErrInvalidInput, "sample size: alpha %v not in (0, 1)", alpha)
	}
	if !(power > 0 && power < 1) {
		return 0, 0, errorf(ErrInvalidInput, "sample size: power %v not in (0, 1)", power)
	}
	if alt == TwoSided {
		za = normQuantile(1 - alpha/2)
	} else {
		za = normQuantile(1 - alpha)
	}
	return za, normQuantile(power), nil
}

func ceilN(n float64) (int64, error) {
	c := math.Ceil(n)
	if !(c < 9.2e18) {
		return 0, errorf(ErrInvalidInput, "sample size: %v does not fit in int64", n)
	}
	return int64(c), nil
}
