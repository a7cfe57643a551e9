package shadow

import (
	"math"
	"reflect"
)

// Comparators decide whether a shadow's answer agrees with the primary's.
// Every comparator here is a pure function, safe for concurrent use, and
// allocation-free unless its comment says otherwise. Use them directly as
// the router's comparator (shadow.Equal[string]) or build one with By.

// Equal reports whether a == b. It suits labels, IDs and other comparable
// outputs.
func Equal[T comparable](a, b T) bool { return a == b }

// DeepEqual reports whether a and b are deeply equal, exactly as
// reflect.DeepEqual(a, b) does. It is the router's default comparator. Note
// that a NaN is not deeply equal to itself; use FloatTolerance or
// SliceTolerance for floats.
//
// It does not allocate for plain data (booleans, numbers, strings, and
// arrays and structs made only of them, compared with ==) nor for slices of
// float64, float32, int, int64 or string; other types go through
// reflect.DeepEqual, which allocates (two allocations for a struct with a
// slice field, for example). For such types a hand-written comparator is
// cheaper.
func DeepEqual[T any](a, b T) bool {
	switch pa := any(&a).(type) {
	case *[]float64:
		return sliceDeepEqual(*pa, *any(&b).(*[]float64))
	case *[]float32:
		return sliceDeepEqual(*pa, *any(&b).(*[]float32))
	case *[]int:
		return sliceDeepEqual(*pa, *any(&b).(*[]int))
	case *[]int64:
		return sliceDeepEqual(*pa, *any(&b).(*[]int64))
	case *[]string:
		return sliceDeepEqual(*pa, *any(&b).(*[]string))
	}
	if plain(reflect.TypeFor[T]()) {
		// For plain data, == and reflect.DeepEqual agree, and boxing
		// values that do not escape does not allocate.
		return any(a) == any(b)
	}
	return reflect.DeepEqual(a, b)
}

// sliceDeepEqual is reflect.DeepEqual for slices of comparable scalars:
// nil differs from empty, and a slice equals itself even if it holds NaNs.
func sliceDeepEqual[E comparable](x, y []E) bool {
	if (x == nil) != (y == nil) || len(x) != len(y) {
		return false
	}
	if len(x) == 0 || &x[0] == &y[0] {
		return true
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// plain reports whether == on values of t means the same as
// reflect.DeepEqual: no pointers, interfaces, slices, maps, funcs or
// channels anywhere inside, and no blank struct fields (which == skips).
func plain(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	case reflect.Array:
		return plain(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "_" || !plain(f.Type) {
				return false
			}
		}
		return true
	}
	return false
}

// By returns a comparator of Out that compares the parts key extracts
// with equal: shadow.By(func(p Pred) float64 { return p.Score },
// shadow.FloatTolerance(1e-6, 0)).
func By[Out, K any](key func(Out) K, equal func(a, b K) bool) func(a, b Out) bool {
	return func(a, b Out) bool { return equal(key(a), key(b)) }
}

// FloatTolerance returns a comparator that accepts a and b when
//
//	|a - b| <= max(abs, rel * max(|a|, |b|))
//
// Two NaNs agree (both models failed to produce a number), a NaN and a
// number do not; equal infinities agree. Zero abs and rel mean exact
// equality. Negative tolerances are treated as zero.
func FloatTolerance(abs, rel float64) func(a, b float64) bool {
	abs, rel = math.Max(abs, 0), math.Max(rel, 0)
	return func(a, b float64) bool { return within(a, b, abs, rel) }
}

func within(a, b, abs, rel float64) bool {
	if a == b {
		return true
	}
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return false // a != b here
	}
	d := math.Abs(a - b)
	return d <= abs || d <= rel*math.Max(math.Abs(a), math.Abs(b))
}

// SliceTolerance returns a comparator of score vectors (regression outputs,
// class probabilities, embeddings) that accepts a and b when they have the
// same length and every pair of elements agrees as under FloatTolerance.
func SliceTolerance(abs, rel float64) func(a, b []float64) bool {
	abs, rel = math.Max(abs, 0), math.Max(rel, 0)
	return func(a, b []float64) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if !within(a[i], b[i], abs, rel) {
				return false
			}
		}
		return true
	}
}

// Argmax returns the index of the largest element of scores (the first one
// on ties; NaNs are ignored), or -1 if scores is empty or all NaN.
func Argmax(scores []float64) int {
	best := -1
	for i, v := range scores {
		if math.IsNaN(v) {
			continue
		}
		if best < 0 || v > scores[best] {
			best = i
		}
	}
	return best
}

// ArgmaxAgree reports whether two classifiers' score vectors pick the same
// label: same length and the same Argmax. It is the usual agreement of a
// classifier whose scores may drift while its decisions do not.
func ArgmaxAgree(a, b []float64) bool {
	return len(a) == len(b) && Argmax(a) == Argmax(b)
}

// maxTopK is the largest k TopKAgree handles without allocating.
const maxTopK = 32

// TopKAgree returns a comparator of score vectors that accepts a and b when
// they have the same length and their k highest-scoring indices share at
// least minOverlap members (order ignored; ties broken by lower index). A
// minOverlap of zero or more than k means all k (the same top-k set). k is
// clamped to [1, len]. It allocates only when k > 32.
func TopKAgree(k, minOverlap int) func(a, b []float64) bool {
	if k < 1 {
		k = 1
	}
	if minOverlap <= 0 || minOverlap > k {
		minOverlap = k
	}
	return func(a, b []float64) bool {
		if len(a) != len(b) {
			return false
		}
		kk, need := min(k, len(a)), min(minOverlap, len(a))
		if kk == 0 {
			return true
		}
		var bufA, bufB [maxTopK]int
		ta, tb := bufA[:0], bufB[:0]
		if kk > maxTopK {
			ta, tb = make([]int, 0, kk), make([]int, 0, kk)
		}
		ta, tb = topK(ta, a, kk), topK(tb, b, kk)
		overlap := 0
		for _, i := range ta {
			for _, j := range tb {
				if i == j {
					overlap++
					break
				}
			}
		}
		return overlap >= need
	}
}

// topK appends to dst the indices of the k largest scores, best first,
// treating NaN as smaller than any number. O(len(s)*k), fine for small k.
func topK(dst []int, s []float64, k int) []int {
	for range k {
		best := -1
		for i, v := range s {
			if contains(dst, i) {
				continue
			}
			if best < 0 || greater(v, s[best]) {
				best = i
			}
		}
		dst = append(dst, best)
	}
	return dst
}

func greater(a, b float64) bool {
	if math.IsNaN(b) {
		return !math.IsNaN(a)
	}
	return a > b
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
