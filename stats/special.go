package stats

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// This file holds the special functions the tests need, written for full
// double precision over the whole range the package promises (degrees of
// freedom up to 1e18, p-values down to the smallest normal float64). Beta and
// gamma prefactors use Loader's saddle-point form (stirlerr and bd0), so no
// difference of large log-gamma values ever loses digits.

const (
	lnSqrt2Pi = 0.918938533204672741780329736406 // log(sqrt(2*pi))
	ln2Pi     = 1.83787706640934548356065947281  // log(2*pi)
	cfEps     = 1e-16
	cfTiny    = 1e-300
)

// stirlerr returns log(Gamma(n+1)) - ((n+0.5)*log(n) - n + log(sqrt(2*pi))),
// the error of Stirling's formula, for n > 0.
func stirlerr(n float64) float64 {
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	if n <= 15 {
		lg, _ := math.Lgamma(n + 1)
		return lg - (n+0.5)*math.Log(n) + n - lnSqrt2Pi
	}
	nn := n * n
	switch {
	case n > 500:
		return (s0 - s1/nn) / n
	case n > 80:
		return (s0 - (s1-s2/nn)/nn) / n
	case n > 35:
		return (s0 - (s1-(s2-s3/nn)/nn)/nn) / n
	}
	return (s0 - (s1-(s2-(s3-s4/nn)/nn)/nn)/nn) / n
}

// bd0 returns the deviance term x*log(x/np) + np - x without cancellation.
func bd0(x, np float64) float64 {
	if x == 0 {
		return np
	}
	if math.Abs(x-np) < 0.1*(x+np) {
		v := (x - np) / (x + np)
		s := (x - np) * v
		if math.Abs(s) < math.SmallestNonzeroFloat64 {
			return s
		}
		ej := 2 * x * v
		v *= v
		for j := 1; j < 1000; j++ {
			ej *= v
			s1 := s + ej/float64(2*j+1)
			if s1 == s {
				return s1
			}
			s = s1
		}
	}
	return x*math.Log(x/np) + np - x
}

// logDbinom returns log( Gamma(n+1)/(Gamma(k+1)Gamma(nk+1)) p^k q^nk ) with
// n = k+nk and q = 1-p given separately, for real k, nk >= 0.
func logDbinom(k, nk, p, q float64) float64 {
	n := k + nk
	if p == 0 {
		if k == 0 {
			return 0
		}
		return math.Inf(-1)
	}
	if q == 0 {
		if nk == 0 {
			return 0
		}
		return math.Inf(-1)
	}
	if k == 0 {
		if nk == 0 {
			return 0
		}
		if p < 0.1 {
			return -bd0(n, n*q) - n*p
		}
		return n * math.Log(q)
	}
	if nk == 0 {
		if q < 0.1 {
			return -bd0(n, n*p) - n*q
		}
		return n * math.Log(p)
	}
	lc := stirlerr(n) - stirlerr(k) - stirlerr(nk) - bd0(k, n*p) - bd0(nk, n*q)
	lf := ln2Pi + math.Log(k) + math.Log(nk) - math.Log(n)
	return lc - 0.5*lf
}

// logBetaPrefactor returns log( x^a y^b / (a*B(a,b)) ), y = 1-x.
func logBetaPrefactor(a, b, x, y float64) float64 {
	return math.Log(b/(a+b)) + logDbinom(a, b, x, y)
}

// betaCF evaluates the continued fraction of the incomplete beta function
// (modified Lentz), which converges fast for x < (a+1)/(a+b+2).
func betaCF(a, b, x, y float64) float64 {
	qab, qap, qam := a+b, a+1, a-1
	c := 1.0
	// 1 - qab*x/qap, written with y = 1-x so that it keeps its digits
	// when x is close to 1 and a is large.
	var d float64
	if x < 0.5 {
		d = 1 - qab*x/qap
	} else {
		d = (1 - b + qab*y) / qap
	}
	if math.Abs(d) < cfTiny {
		d = cfTiny
	}
	d = 1 / d
	h := d
	for m := 1; m < 10000000; m++ {
		fm := float64(m)
		m2 := 2 * fm
		aa := fm * (b - fm) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < cfTiny {
			d = cfTiny
		}
		c = 1 + aa/c
		if math.Abs(c) < cfTiny {
			c = cfTiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < cfTiny {
			d = cfTiny
		}
		c = 1 + aa/c
		if math.Abs(c) < cfTiny {
			c = cfTiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < cfEps {
			break
		}
	}
	return h
}

// incBeta returns the regularized incomplete beta function I_x(a,b) and its
// complement 1-I_x(a,b), each to full relative precision. y must be 1-x,
// passed separately so that callers can compute it without cancellation.
func incBeta(a, b, x, y float64) (lower, upper float64) {
	switch {
	case x <= 0:
		return 0, 1
	case y <= 0:
		return 1, 0
	}
	if x < (a+1)/(a+b+2) {
		lower = math.Exp(logBetaPrefactor(a, b, x, y)) * betaCF(a, b, x, y)
		return lower, 1 - lower
	}
	upper = math.Exp(logBetaPrefactor(b, a, y, x)) * betaCF(b, a, y, x)
	return 1 - upper, upper
}

// incGamma returns the regularized lower and upper incomplete gamma
// functions P(a,x) and Q(a,x) = 1-P(a,x), each to full relative precision.
func incGamma(a, x float64) (lower, upper float64) {
	if x <= 0 {
		return 0, 1
	}
	if math.IsInf(x, 1) {
		return 1, 0
	}
	// log( x^a e^-x / Gamma(a+1) ), Loader's Poisson density.
	logPois := -stirlerr(a) - bd0(a, x) - 0.5*(ln2Pi+math.Log(a))
	if x < a+1 {
		sum, term := 1.0, 1.0
		for n := 1; n < 10000000; n++ {
			term *= x / (a + float64(n))
			sum += term
			if term < sum*cfEps {
				break
			}
		}
		lower = math.Exp(logPois) * sum
		return lower, 1 - lower
	}
	b := x + 1 - a
	c := 1 / cfTiny
	d := 1 / b
	h := d
	for i := 1; i < 10000000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < cfTiny {
			d = cfTiny
		}
		c = b + an/c
		if math.Abs(c) < cfTiny {
			c = cfTiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < cfEps {
			break
		}
	}
	upper = math.Exp(math.Log(a)+logPois) * h
	return 1 - upper, upper
}

// chi2SF returns P(X > x) for X ~ chi-square(df).
func chi2SF(x, df float64) float64 {
	_, q := incGamma(df/2, x/2)
	return q
}

// normSF returns P(Z > z) for a standard normal Z, accurate far in both tails.
func normSF(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// normCDF returns P(Z <= z) for a standard normal Z.
func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// normQuantile returns z with P(Z <= z) = p.
func normQuantile(p float64) float64 { return mathext.NormalQuantile(p) }

// tHugeDF is the degrees of freedom above which the Student t tail is taken
// from its asymptotic expansion in 1/df instead of the continued fraction,
// whose iteration count grows like sqrt(df).
const tHugeDF = 5e7

// tSF returns P(T > t) for T ~ Student t(df).
func tSF(t, df float64) float64 {
	if t < 0 {
		return 1 - tSF(-t, df)
	}
	if df > tHugeDF {
		return tSFAsymptotic(t, df)
	}
	t2 := t * t
	var x, y float64
	if math.IsInf(t2, 1) {
		x, y = (df/t)/t, 1
	} else {
		x, y = df/(df+t2), t2/(df+t2)
	}
	lo, _ := incBeta(df/2, 0.5, x, y)
	return 0.5 * lo
}

// tSFAsymptotic is the expansion of the Student t tail in powers of 1/df
// (derived by integrating the series of the density term by term):
//
//	P(T>t) = Q(t) + phi(t) * [ g1(t)/df + g2(t)/df^2 + g3(t)/df^3 ]
//	g1 = (t^3 + t)/4
//	g2 = (3t^7 - 7t^5 - 5t^3 - 3t)/96
//	g3 = (t^11 - 11t^9 + 14t^7 + 6t^5 - 3t^3 - 15t)/384
//
// Against 40-digit mpmath values the expansion is within 3e-9 relative for
// df >= 3e7 and every t whose tail is a normal float64, and within 1e-11
// for df >= 1e8; the continued fraction is within 1e-9 below 5e7.
func tSFAsymptotic(t, df float64) float64 {
	t2 := t * t
	phi := math.Exp(-t2/2 - lnSqrt2Pi)
	g1 := t * (t2 + 1) / 4
	g2 := t * (((3*t2-7)*t2-5)*t2 - 3) / 96
	g3 := t * (((((t2-11)*t2+14)*t2+6)*t2-3)*t2 - 15) / 384
	return normSF(t) + phi*(g1+(g2+g3/df)/df)/df
}

// logTPDF returns log f(t) for the Student t density with df degrees of
// freedom, t != 0.
func logTPDF(t, df float64) float64 {
	t2 := t * t
	a := df / 2
	x, y := df/(df+t2), t2/(df+t2)
	// x^a y^(1/2) / B(a,1/2) = a/(2a+1) * dbinom(a; a+1/2, x, y), and f(t) = that/|t|.
	return math.Log(a/(2*a+1)) + logDbinom(a, 0.5, x, y) - math.Log(math.Abs(t))
}

// tQuantileUpper returns t with P(T > t) = q, 0 < q < 1, for T ~ t(df).
func tQuantileUpper(q, df float64) float64 {
	if q == 0.5 {
		return 0
	}
	if q > 0.5 {
		return -tQuantileUpper(1-q, df)
	}
	z := -normQuantile(q)
	// Cornish-Fisher start, then Newton on log P(T>t).
	t := z + (z*z*z+z)/(4*df)
	if df < 4 || math.IsNaN(t) || t <= 0 {
		t = z
	}
	lq := math.Log(q)
	lo, hi := 0.0, math.Inf(1)
	for range 200 {
		s := tSF(t, df)
		g := math.Log(s) - lq
		if g == 0 {
			return t
		}
		if g > 0 {
			lo = t
		} else {
			hi = t
		}
		next := t + g/math.Exp(logTPDF(t, df)-math.Log(s))
		if !(next > lo && next < hi) {
			if math.IsInf(hi, 1) {
				next = 2 * t
			} else {
				next = lo + (hi-lo)/2
			}
		}
		if math.Abs(next-t) <= 4e-16*math.Abs(t) {
			return next
		}
		t = next
	}
	return t
}
