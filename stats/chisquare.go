package stats

import "math"

// ChiSquareGoodnessOfFit checks observed counts against expected shares, as
// in a sample-ratio-mismatch check (did a 50/50 split really deliver
// 50/50?). It equals scipy.stats.chisquare(observed,
// f_exp=expectedShares/sum(expectedShares)*sum(observed)):
//
//	e_i  = share_i / sum(share) * sum(observed)
//	chi2 = sum_i (o_i - e_i)^2 / e_i
//	p    = Q_chi2(chi2; k-1)
//
// DF is k-1; Effect and CI are zero. It returns an error wrapping
// ErrInvalidInput for mismatched lengths, negative counts, or shares that are
// not finite and positive, and one wrapping ErrInsufficientData for fewer
// than 2 categories or all-zero counts.
func ChiSquareGoodnessOfFit(observed []int64, expectedShares []float64) (Result, error) {
	if len(observed) != len(expectedShares) {
		return Result{}, errorf(ErrInvalidInput, "chi-square: %d observed counts but %d shares", len(observed), len(expectedShares))
	}
	if len(observed) < 2 {
		return Result{}, errorf(ErrInsufficientData, "chi-square: need at least 2 categories, have %d", len(observed))
	}
	var total, shares float64
	for i, o := range observed {
		if o < 0 {
			return Result{}, errorf(ErrInvalidInput, "chi-square: observed[%d] = %d is negative", i, o)
		}
		s := expectedShares[i]
		if !(s > 0) || math.IsInf(s, 0) {
			return Result{}, errorf(ErrInvalidInput, "chi-square: share[%d] = %v must be finite and positive", i, s)
		}
		total += float64(o)
		shares += s
	}
	if total == 0 {
		return Result{}, errorf(ErrInsufficientData, "chi-square: all counts are zero")
	}
	if math.IsInf(shares, 0) {
		return Result{}, errorf(ErrInvalidInput, "chi-square: shares sum to %v", shares)
	}
	var stat float64
	for i, o := range observed {
		e := expectedShares[i] / shares * total
		if !(e > 0) {
			return Result{}, errorf(ErrInvalidInput, "chi-square: expected count %d underflows to 0", i)
		}
		d := float64(o) - e
		stat += d * d / e
	}
	if !finite(stat) {
		return Result{}, errorf(ErrInvalidInput, "chi-square: statistic overflows")
	}
	df := float64(len(observed) - 1)
	return Result{Statistic: stat, DF: df, PValue: chi2SF(stat, df)}, nil
}

// ChiSquareIndependence tests whether the rows and columns of a contingency
// table are independent, e.g. variant × outcome. It equals
// scipy.stats.chi2_contingency(table, correction=False):
//
//	e_ij = row_i * col_j / total
//	chi2 = sum_ij (o_ij - e_ij)^2 / e_ij
//	p    = Q_chi2(chi2; (r-1)(c-1))
//
// Effect and CI are zero. It returns an error wrapping ErrInvalidInput for a
// ragged table or negative counts, and one wrapping ErrInsufficientData for
// fewer than 2 rows or columns or a row or column that sums to zero.
func ChiSquareIndependence(table [][]int64) (Result, error) {
	r := len(table)
	if r < 2 {
		return Result{}, errorf(ErrInsufficientData, "chi-square: need at least 2 rows, have %d", r)
	}
	c := len(table[0])
	if c < 2 {
		return Result{}, errorf(ErrInsufficientData, "chi-square: need at least 2 columns, have %d", c)
	}
	rows := make([]float64, r)
	cols := make([]float64, c)
	var total float64
	for i, row := range table {
		if len(row) != c {
			return Result{}, errorf(ErrInvalidInput, "chi-square: row %d has %d columns, row 0 has %d", i, len(row), c)
		}
		for j, o := range row {
			if o < 0 {
				return Result{}, errorf(ErrInvalidInput, "chi-square: table[%d][%d] = %d is negative", i, j, o)
			}
			rows[i] += float64(o)
			cols[j] += float64(o)
			total += float64(o)
		}
	}
	for i, s := range rows {
		if s == 0 {
			return Result{}, errorf(ErrInsufficientData, "chi-square: row %d sums to zero", i)
		}
	}
	for j, s := range cols {
		if s == 0 {
			return Result{}, errorf(ErrInsufficientData, "chi-square: column %d sums to zero", j)
		}
	}
	var stat float64
	for i, row := range table {
		for j, o := range row {
			e := rows[i] * cols[j] / total
			d := float64(o) - e
			stat += d * d / e
		}
	}
	if !finite(stat) {
		return Result{}, errorf(ErrInvalidInput, "chi-square: statistic overflows")
	}
	df := float64((r - 1) * (c - 1))
	return Result{Statistic: stat, DF: df, PValue: chi2SF(stat, df)}, nil
}
