#!/usr/bin/python3
"""Generate reference.json for package stats from scipy / statsmodels / mpmath.

Run with Debian's python3 (apt-get install python3-scipy python3-statsmodels):

    /usr/bin/python3 stats/testdata/gen_reference.py > stats/testdata/reference.json

Every case records its inputs and the expected outputs. Alternatives are
written as in the Go API: "two-sided", "greater" (treatment > control),
"less". Infinite interval ends are written as null.

Far-tail cases. A case whose name contains "p1e-N" promises a p-value at or
below 1e-N. For those cases the expected p-value ("pvalue") is computed with
mpmath at 60 digits from the exact inputs (the statistic recomputed in
mpmath, then erfc, the regularized incomplete beta or the regularized upper
incomplete gamma), not taken from scipy: scipy's statistic is a double, and
far out the tail multiplies its relative rounding error by about stat^2
(z = 30 turns 1e-16 into about 1e-13), and scipy does not document its tails
(ndtr, stdtr at small df, chdtrc) to full precision there. scipy's value is
kept beside it as "pvalue_scipy", and the generator stops if the two differ
by more than 1e-9 relative. With scipy 1.10.1 and statsmodels 0.13.5 they
agree to 5e-12 relative for the z test (the double-precision z dominates) and
to 5e-13 for every other far-tail case. For the alternatives that point the
way of the effect (two-sided, and the matching one-sided side) the case also
records "max_pvalue" = 1e-N, and the generator asserts 0 < pvalue <= 1e-N, so
a label cannot promise more than its case delivers; reference_test.go checks
the same bound again.
"""
import json
import math
import re
import sys
from fractions import Fraction

import mpmath as mp
import numpy as np
import scipy
import scipy.special as sc
import scipy.stats as st
import statsmodels
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

rng = np.random.default_rng(20240521)
ALTS = ["two-sided", "greater", "less"]
SM_ALT = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}


def tail_bound(name):
    """The p-value bound that a "p1e-N" name promises, or None."""
    m = re.search(r"p1e-(\d+)", name)
    return 10.0 ** -int(m.group(1)) if m else None


def mp_normsf(z):
    return mp.erfc(z / mp.sqrt(2)) / 2


def far_tail(case, p_mp, toward):
    """Make a "p1e-N" case's expected p-value the mpmath one (see the module
    doc) and check the promise of its name. toward says whether the case's
    alternative points the way of the effect."""
    bound = tail_bound(case["name"])
    if bound is None:
        return case
    p_sc, p = case["pvalue"], float(p_mp)
    if abs(p_sc - p) > 1e-9 * p:
        sys.exit(f"{case['name']}: scipy p {p_sc!r} vs mpmath {p!r}")
    case["pvalue"], case["pvalue_scipy"], case["pvalue_source"] = p, p_sc, "mpmath"
    if toward:
        assert 0 < p <= bound and p >= sys.float_info.min, (case["name"], p)
        case["max_pvalue"] = bound
    return case


def toward_effect(alt, stat):
    return alt == "two-sided" or (alt == "greater") == (stat > 0)


def fin(x):
    x = float(x)
    return None if math.isinf(x) or math.isnan(x) else x


def t_ci(d, se, df, alt, conf):
    """scipy's ttest_ind(...).confidence_interval (scipy >= 1.11), written out."""
    if alt == "less":
        lo, hi = -math.inf, sc.stdtrit(df, conf)
    elif alt == "greater":
        lo, hi = sc.stdtrit(df, 1 - conf), math.inf
    else:
        tp = (1 - conf) / 2
        lo, hi = sc.stdtrit(df, tp), sc.stdtrit(df, 1 - tp)
    return [fin(lo * se + d), fin(hi * se + d)]


def mp_tsf(t, df, dps=50):
    mp.mp.dps = dps
    t, df = mp.mpf(t), mp.mpf(df)
    v = mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
    return v if t >= 0 else 1 - v


def ttest_case(kind, name, n_c, m_c, v_c, n_t, m_t, v_t, alt, conf, samples=None):
    eq = kind == "student"
    r = st.ttest_ind_from_stats(m_t, math.sqrt(v_t), n_t, m_c, math.sqrt(v_c), n_c,
                                equal_var=eq, alternative=alt)
    if eq:
        df = n_t + n_c - 2.0
        svar = ((n_t - 1) * v_t + (n_c - 1) * v_c) / df
        se = math.sqrt(svar * (1.0 / n_t + 1.0 / n_c))
    else:
        vn1, vn2 = v_t / n_t, v_c / n_c
        df = (vn1 + vn2) ** 2 / (vn1 ** 2 / (n_t - 1) + vn2 ** 2 / (n_c - 1))
        se = math.sqrt(vn1 + vn2)
    d = m_t - m_c
    t = d / se
    p = float(r.pvalue)
    # Cross-check scipy's p-value with 50-digit mpmath.
    if alt == "greater":
        pm = mp_tsf(t, df)
    elif alt == "less":
        pm = mp_tsf(-t, df)
    else:
        pm = 2 * mp_tsf(abs(t), df)
    pm = float(pm)
    if pm != 0 and abs(p - pm) > 1e-9 * pm:
        print(f"warning: {name}: scipy p {p!r} vs mpmath {pm!r}", file=sys.stderr)
    case = dict(name=name, control=dict(n=n_c, mean=m_c, variance=v_c),
                treatment=dict(n=n_t, mean=m_t, variance=v_t), alt=alt, confidence=conf,
                statistic=float(r.statistic), df=df, pvalue=p, effect=d,
                ci=t_ci(d, se, df, alt, conf))
    if samples is not None:
        case["control_samples"], case["treatment_samples"] = samples
    if tail_bound(name) is not None:
        # t, df and the tail from the exact inputs, at 60 digits.
        mp.mp.dps = 60
        M = mp.mpf
        if eq:
            dfm = M(n_t + n_c - 2)
            sem = mp.sqrt(((n_t - 1) * M(v_t) + (n_c - 1) * M(v_c)) / dfm * (M(1) / n_t + M(1) / n_c))
        else:
            a, b = M(v_t) / n_t, M(v_c) / n_c
            dfm = (a + b) ** 2 / (a * a / (n_t - 1) + b * b / (n_c - 1))
            sem = mp.sqrt(a + b)
        tm = (M(m_t) - M(m_c)) / sem
        if alt == "greater":
            pm = mp_tsf(tm, dfm, 60)
        elif alt == "less":
            pm = mp_tsf(-tm, dfm, 60)
        else:
            pm = 2 * mp_tsf(abs(tm), dfm, 60)
        far_tail(case, pm, toward_effect(alt, float(tm)))
    return case


def ttests():
    out = []
    # Raw samples: lopsided sizes, different spreads.
    raw = [
        ("small", rng.normal(10, 2, 5), rng.normal(12, 2, 6)),
        ("lopsided", rng.normal(100, 15, 8), rng.normal(103, 40, 300)),
        ("lopsided-rev", rng.normal(0.5, 3, 400), rng.normal(0.1, 0.2, 4)),
        ("equal-means", np.array([1.0, 2, 3, 4, 5]), np.array([5.0, 4, 3, 2, 1, 3])),
        ("two-each", np.array([1.0, 2.0]), np.array([3.0, 5.0])),
        ("large-offset", 1e9 + rng.normal(0, 1, 50), 1e9 + 0.3 + rng.normal(0, 1, 60)),
    ]
    for kind in ("welch", "student"):
        for label, c, t in raw:
            for alt in ALTS:
                for conf in (0.95, 0.9, 0.99):
                    if conf != 0.95 and alt != "two-sided" and label not in ("small", "lopsided"):
                        continue
                    n_c, n_t = len(c), len(t)
                    # Summaries from mpmath-exact mean and variance of the samples.
                    m_c, v_c = float(np.mean(c)), float(np.var(c, ddof=1))
                    m_t, v_t = float(np.mean(t)), float(np.var(t, ddof=1))
                    case = ttest_case(kind, f"{kind}/{label}/{alt}/{conf}", n_c, m_c, v_c,
                                      n_t, m_t, v_t, alt, conf,
                                      samples=(c.tolist(), t.tolist()))
                    # Also check against scipy's sample API.
                    r2 = st.ttest_ind(t, c, equal_var=(kind == "student"), alternative=alt)
                    assert abs(r2.pvalue - case["pvalue"]) <= 1e-9 * max(case["pvalue"], 1e-300), label
                    out.append(case)
        # Aggregates: n up to 1e8, tiny p-values, df ~ 1e8.
        agg = [
            ("1e8-small-effect", 100000000, 0.1, 1.0, 100000000, 0.1003, 1.0),
            ("1e8-lopsided", 100000000, 5.0, 4.0, 1000000, 5.004, 9.0),
            ("1e8-tiny-p", 100000000, 0.0, 1.0, 100000000, 0.0015, 1.0),
            ("1e8-p1e-50", 100000000, 0.0, 1.0, 90000000, 0.00225, 1.1),
            ("1e8-p1e-200", 100000000, 0.0, 1.0, 100000000, 0.0044, 1.0),
            ("1e7-t30", 10000000, 0.0, 1.0, 10000000, 0.0134, 1.0),
            ("1e6-p1e-100", 1000000, 1.0, 0.25, 1000000, 1.0152, 0.25),
            # Small df far out: the t tail falls like t^-df, so t must be huge.
            ("df5-p1e-50", 3, 0.0, 1.0, 4, 1e12, 1.0),
            ("df10-p1e-50", 6, 0.0, 1.0, 6, -1e6, 1.0),
            ("df30-p1e-50", 16, 0.0, 1.0, 16, 400.0, 2.0),
            ("lopsided-df-p1e-50", 4, 10.0, 0.04, 12, 10.0 + 1e6, 9.0),
            ("huge-t-small-n", 30, 0.0, 1.0, 40, 20.0, 1.0),
            ("tiny-groups", 2, 0.0, 1.0, 3, 1.0, 4.0),
            ("3-vs-1e8", 3, 1.0, 2.0, 100000000, 0.0, 1.0),
        ]
        for label, n_c, m_c, v_c, n_t, m_t, v_t in agg:
            for alt in ALTS:
                for conf in (0.95, 0.999):
                    out.append(ttest_case(kind, f"{kind}/{label}/{alt}/{conf}",
                                          n_c, m_c, v_c, n_t, m_t, v_t, alt, conf))
    return out


def ztests():
    out = []
    cases = [
        ("typical", (200, 10000), (245, 10000)),
        ("lopsided", (50, 1000), (4300, 100000)),
        ("small", (3, 20), (9, 22)),
        ("equal", (100, 1000), (100, 1000)),
        ("huge-counts", (10000000, 100000000), (10020000, 100000000)),
        ("p1e-50", (10000000, 100000000), (10070000, 100000000)),
        ("rate-0.1012-p1e-170", (10000000, 100000000), (10120000, 100000000)),
        ("p1e-200", (10000000, 100000000), (10130000, 100000000)),
        ("lopsided-p1e-50", (30000000, 100000000), (310000, 1000000)),
        ("negative-p1e-200", (5050000, 50000000), (4958000, 50000000)),
        ("p-underflow-ish", (1000000, 10000000), (1080000, 10000000)),
        ("zero-treatment", (5, 100), (0, 120)),
        ("high-rate", (9990, 10000), (9999, 10000)),
    ]
    for label, (sc_, nc), (st_, nt) in cases:
        for alt in ALTS:
            for conf in (0.95, 0.8):
                z, p = proportions_ztest([st_, sc_], [nt, nc], alternative=SM_ALT[alt])
                pt, pc = st_ / nt, sc_ / nc
                d = pt - pc
                se = math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
                if alt == "two-sided":
                    q = st.norm.ppf(1 - (1 - conf) / 2)
                    ci = [d - q * se, d + q * se]
                elif alt == "greater":
                    q = st.norm.ppf(conf)
                    ci = [d - q * se, None]
                else:
                    q = st.norm.ppf(conf)
                    ci = [None, d + q * se]
                case = dict(name=f"z/{label}/{alt}/{conf}",
                            control=dict(successes=sc_, trials=nc),
                            treatment=dict(successes=st_, trials=nt),
                            alt=alt, confidence=conf, statistic=float(z), pvalue=float(p),
                            effect=d, ci=ci)
                if tail_bound(label) is not None:
                    mp.mp.dps = 60
                    M = mp.mpf
                    pool = M(st_ + sc_) / (nt + nc)
                    zm = (M(st_) / nt - M(sc_) / nc) / mp.sqrt(pool * (1 - pool) * (M(1) / nt + M(1) / nc))
                    pm = {"greater": mp_normsf(zm), "less": mp_normsf(-zm),
                          "two-sided": 2 * mp_normsf(abs(zm))}[alt]
                    far_tail(case, pm, toward_effect(alt, float(zm)))
                out.append(case)
    return out


# Knuth's MMIX linear congruential generator, replicated by lcgSamples in
# reference_test.go so that large Mann-Whitney samples need not be stored.
LCG_A, LCG_C, LCG_MASK = 6364136223846793005, 1442695040888963407, 2 ** 64 - 1


def lcg_samples(seed, n_c, n_t, mod_c, mod_t, shift):
    """Control then treatment from one stream: s = (A*s + C) mod 2^64, value
    (s >> 33) mod m, plus shift for the treatment. Small moduli give ties."""
    s, out = seed, []
    for n, mod, off in ((n_c, mod_c, 0), (n_t, mod_t, shift)):
        xs = []
        for _ in range(n):
            s = (s * LCG_A + LCG_C) & LCG_MASK
            xs.append(float((s >> 33) % mod + off))
        out.append(xs)
    return out


def mp_mwu_p(c, t, alt):
    """Asymptotic Mann-Whitney p-value with U and the tie term exact
    (rationals) and the normal tail at 60 digits."""
    mp.mp.dps = 60
    ranks = st.rankdata(np.concatenate([t, c]))
    n1, n2 = len(t), len(c)
    u1 = sum(Fraction(float(r)) for r in ranks[:n1]) - Fraction(n1 * (n1 + 1), 2)
    u = {"greater": u1, "less": n1 * n2 - u1, "two-sided": max(u1, n1 * n2 - u1)}[alt]
    _, counts = np.unique(np.concatenate([t, c]), return_counts=True)
    ties = sum(int(k) ** 3 - int(k) for k in counts)
    n = n1 + n2
    var = Fraction(n1 * n2, 12) * ((n + 1) - Fraction(ties, n * (n - 1)))
    num = u - Fraction(n1 * n2, 2) - Fraction(1, 2)
    z = mp.mpf(num.numerator) / num.denominator / mp.sqrt(mp.mpf(var.numerator) / var.denominator)
    p = mp_normsf(z) * (2 if alt == "two-sided" else 1)
    return min(p, mp.mpf(1)), float(u1 - Fraction(n1 * n2, 2))


def mannwhitney_lcg():
    out = []
    for label, seed, n_c, n_t, mod_c, mod_t, shift in [
        ("20k-30k-ties", 1, 20000, 30000, 500, 500, 2),
        ("20k-30k-heavy-ties", 2, 20000, 30000, 200, 201, 0),
        ("20k-30k-p1e-50", 3, 20000, 30000, 1000, 1000, 45),
        ("20k-30k-p1e-200", 4, 20000, 30000, 1000, 1000, 85),
        ("30k-20k-negative-p1e-50", 5, 30000, 20000, 1000, 1000, -50),
    ]:
        c, t = lcg_samples(seed, n_c, n_t, mod_c, mod_t, shift)
        for alt in ALTS:
            r = st.mannwhitneyu(t, c, use_continuity=True, alternative=alt, method="asymptotic")
            case = dict(name=f"mwu-lcg/{label}/{alt}", seed=seed, n_control=n_c,
                        n_treatment=n_t, mod_control=mod_c, mod_treatment=mod_t, shift=shift,
                        first=[c[0], t[0]], last=[c[-1], t[-1]], alt=alt,
                        statistic=float(r.statistic), pvalue=float(r.pvalue),
                        effect=float(r.statistic) / (n_c * n_t))
            pm, centred = mp_mwu_p(c, t, alt)
            if tail_bound(label) is None:
                if abs(float(pm) - case["pvalue"]) > 1e-9 * float(pm):
                    sys.exit(f"{case['name']}: scipy p {case['pvalue']!r} vs mpmath {float(pm)!r}")
            far_tail(case, pm, toward_effect(alt, centred))
            out.append(case)
    return out


def mannwhitney():
    out = []
    lat_c = np.round(rng.lognormal(4.0, 0.5, 300), 0)
    lat_t = np.round(rng.lognormal(4.1, 0.5, 250), 0)
    sets = [
        ("small", [1.0, 3, 5, 7, 9], [2.0, 4, 6, 8, 10, 12]),
        ("ties", [1.0, 1, 2, 2, 2, 3, 3, 4], [2.0, 2, 3, 3, 3, 4, 5, 5, 5]),
        ("heavy-ties", [0.0] * 40 + [1.0] * 10, [0.0] * 30 + [1.0] * 25),
        ("lopsided", rng.normal(0, 1, 3).tolist(), rng.normal(0.5, 1, 500).tolist()),
        ("latency-rounded", lat_c.tolist(), lat_t.tolist()),
        ("separated", list(range(0, 200)), list(range(150, 400))),
        ("far-tail", rng.normal(0, 1, 2000).tolist(), rng.normal(1.5, 1, 2000).tolist()),
        ("identical", [1.0, 2, 3], [1.0, 2, 3]),
        ("one-each", [1.0], [2.0]),
    ]
    for label, c, t in sets:
        for alt in ALTS:
            r = st.mannwhitneyu(t, c, use_continuity=True, alternative=alt, method="asymptotic")
            out.append(dict(name=f"mwu/{label}/{alt}", control=[float(x) for x in c],
                            treatment=[float(x) for x in t], alt=alt,
                            statistic=float(r.statistic), pvalue=float(r.pvalue),
                            effect=float(r.statistic) / (len(c) * len(t))))
    return out


def chisq():
    gof = []
    for label, obs, shares in [
        ("srm-50-50-ok", [50123, 49877], [1, 1]),
        ("srm-50-50-bad", [50900, 49100], [0.5, 0.5]),
        ("three-way", [3300, 3350, 3200], [1, 1, 1]),
        ("uneven-shares", [9050, 950], [0.9, 0.1]),
        ("huge-counts", [50010000, 49990000], [1, 1]),
        ("p1e-50", [50150000, 49850000], [1, 1]),
        ("many", [98, 102, 110, 87, 95, 105, 99, 101, 120, 83], [1] * 10),
        ("zero-cell", [0, 10, 12], [1, 2, 3]),
        ("ten-pct", [10090, 89910], [10, 90]),
        ("p1e-200", [50160000, 49840000], [1, 1]),
        ("3-way-p1e-200", [33480000, 33300000, 33220000], [1, 1, 1]),
        ("3-way-p1e-300", [33500000, 33300000, 33200000], [1, 1, 1]),
        ("uneven-shares-p1e-50", [8985000, 1015000], [0.9, 0.1]),
        ("ten-cells-p1e-50", [3030, 3000, 3060, 3300, 3000, 3015, 3000, 2970, 3000, 4200], [1] * 10),
    ]:
        f = np.array(shares, float) / np.sum(shares) * np.sum(obs)
        r = st.chisquare(obs, f_exp=f)
        case = dict(name=f"gof/{label}", observed=obs, shares=[float(s) for s in shares],
                    statistic=float(r.statistic), df=len(obs) - 1, pvalue=float(r.pvalue))
        if tail_bound(label) is not None:
            mp.mp.dps = 60
            tot, sh = mp.mpf(sum(obs)), mp.fsum(mp.mpf(s) for s in shares)
            x = mp.fsum((o - e) ** 2 / e for o, e in ((mp.mpf(o), mp.mpf(s) / sh * tot)
                                                     for o, s in zip(obs, shares)))
            far_tail(case, mp.gammainc(mp.mpf(len(obs) - 1) / 2, x / 2, mp.inf, regularized=True), True)
        gof.append(case)
    ind = []
    for label, table in [
        ("2x2", [[120, 880], [150, 850]]),
        ("2x3", [[10, 20, 30], [15, 25, 5]]),
        ("3x3", [[5, 9, 12], [7, 3, 8], [20, 2, 1]]),
        ("4x2", [[100, 900], [110, 890], [130, 870], [90, 910]]),
        ("huge", [[10000000, 90000000], [10100000, 89900000]]),
        # chi2 = 1948: p is about 1e-425, which underflows to 0.
        ("underflow", [[1000000, 9000000], [1060000, 8940000]]),
        ("independent", [[10, 20], [20, 40]]),
        ("p1e-50", [[1000000, 9000000], [1030000, 8970000]]),
        ("p1e-200", [[10000000, 90000000], [10130000, 89870000]]),
        ("3x3-p1e-50", [[5000, 3000, 2000], [4000, 3500, 2500], [5200, 2600, 2200]]),
    ]:
        r = st.chi2_contingency(np.array(table), correction=False)
        case = dict(name=f"ind/{label}", table=table, statistic=float(r[0]),
                    df=int(r[2]), pvalue=float(r[1]))
        if tail_bound(label) is not None:
            mp.mp.dps = 60
            rows = [mp.mpf(sum(row)) for row in table]
            cols = [mp.mpf(sum(col)) for col in zip(*table)]
            tot = mp.fsum(rows)
            x = mp.fsum((o - rows[i] * cols[j] / tot) ** 2 / (rows[i] * cols[j] / tot)
                        for i, row in enumerate(table) for j, o in enumerate(row))
            far_tail(case, mp.gammainc(mp.mpf(r[2]) / 2, x / 2, mp.inf, regularized=True), True)
        ind.append(case)
    return gof, ind


def multiple():
    out = []
    for label, p in [
        ("sorted", [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205]),
        ("unsorted", [0.04, 0.001, 0.3, 0.012, 0.02, 0.9, 0.0005]),
        ("ties", [0.01, 0.02, 0.02, 0.02, 0.5, 0.01]),
        ("single", [0.03]),
        ("clip", [0.5, 0.6, 0.7, 0.9]),
        ("tiny", [1e-50, 3e-10, 0.2, 1e-300]),
        ("random", rng.uniform(0, 0.2, 25).tolist()),
    ]:
        out.append(dict(name=f"mt/{label}", p=p,
                        holm=multipletests(p, method="holm")[1].tolist(),
                        bh=multipletests(p, method="fdr_bh")[1].tolist()))
    return out


def prob_beat():
    mp.mp.dps = 60

    def lbeta(a, b):
        return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)

    def px_gt_py(ax, bx, ay, by):
        # P(X > Y), X ~ Beta(ax,bx), Y ~ Beta(ay,by), integer ax (Evan Miller).
        tot = mp.mpf(0)
        c = lbeta(ay, by)
        for i in range(int(ax)):
            tot += mp.exp(lbeta(ay + i, by + bx) - mp.log(bx + i) - lbeta(1 + i, bx) - c)
        return tot

    def p_t_beats_c(sc_, nc, st_, nt):
        ac, bc = mp.mpf(1 + sc_), mp.mpf(1 + nc - sc_)
        at, bt = mp.mpf(1 + st_), mp.mpf(1 + nt - st_)
        # Four equivalent sums; use the shortest.
        opts = [
            (at, lambda: px_gt_py(at, bt, ac, bc)),
            (bc, lambda: px_gt_py(bc, ac, bt, at)),
            (ac, lambda: 1 - px_gt_py(ac, bc, at, bt)),
            (bt, lambda: 1 - px_gt_py(bt, at, bc, ac)),
        ]
        return min(opts, key=lambda o: o[0])[1]()

    out = []
    for label, (sc_, nc), (st_, nt) in [
        ("typical", (200, 10000), (245, 10000)),
        ("worse", (245, 10000), (200, 10000)),
        ("equal", (50, 1000), (50, 1000)),
        ("small", (1, 10), (3, 12)),
        ("zero-successes", (0, 100), (0, 50)),
        ("all-successes", (20, 20), (18, 20)),
        ("tiny-prob", (500, 1000), (300, 1000)),
        ("tiny-prob-1e-50", (2000, 10000), (1300, 10000)),
        ("near-one", (300, 1000), (500, 1000)),
        ("large", (10000, 1000000), (10150, 1000000)),
        ("large-lopsided", (10000, 1000000), (130, 10000)),
        ("huge-trials", (2000, 100000000), (2100, 100000000)),
        ("high-rate-huge", (99999000, 100000000), (99998900, 100000000)),
    ]:
        v = p_t_beats_c(sc_, nc, st_, nt)
        out.append(dict(name=f"ptb/{label}", control=dict(successes=sc_, trials=nc),
                        treatment=dict(successes=st_, trials=nt), prob=float(v)))
    return out


def sample_sizes():
    props, means = [], []
    for baseline, mde, alpha, power, alt in [
        (0.1, 0.01, 0.05, 0.8, "two-sided"),
        (0.1, 0.01, 0.05, 0.8, "greater"),
        (0.02, 0.002, 0.05, 0.9, "two-sided"),
        (0.5, -0.05, 0.01, 0.8, "less"),
        (0.3, 0.1, 0.1, 0.5, "two-sided"),
        (0.001, 0.0001, 0.05, 0.8, "two-sided"),
    ]:
        p1, p2 = baseline, baseline + mde
        pbar = (p1 + p2) / 2
        za = st.norm.ppf(1 - alpha / 2) if alt == "two-sided" else st.norm.ppf(1 - alpha)
        zb = st.norm.ppf(power)
        n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / mde ** 2
        props.append(dict(baseline=baseline, mde=mde, alpha=alpha, power=power, alt=alt,
                          n=math.ceil(n), raw=n))
    for sd, mde, alpha, power, alt in [
        (1.0, 0.1, 0.05, 0.8, "two-sided"),
        (15.0, 1.0, 0.05, 0.8, "greater"),
        (250.0, 3.0, 0.01, 0.95, "two-sided"),
        (2.0, -0.5, 0.1, 0.8, "less"),
    ]:
        za = st.norm.ppf(1 - alpha / 2) if alt == "two-sided" else st.norm.ppf(1 - alpha)
        zb = st.norm.ppf(power)
        n = 2 * (za + zb) ** 2 * sd ** 2 / mde ** 2
        means.append(dict(stddev=sd, mde=mde, alpha=alpha, power=power, alt=alt,
                          n=math.ceil(n), raw=n))
    return props, means


def cuped():
    out = []
    for label, n, off in [("small", 10, 0.0), ("medium", 200, 0.0), ("offset", 100, 1e6)]:
        x = off + rng.normal(10, 3, n)
        y = 2 + 0.7 * (x - off) + rng.normal(0, 1, n)
        theta = np.cov(x, y)[0, 1] / np.var(x, ddof=1)
        adj = y - theta * (x - np.mean(x))
        out.append(dict(name=f"cuped/{label}", x=x.tolist(), y=y.tolist(), theta=float(theta),
                        adjusted=adj.tolist()))
    return out


def msprt():
    out = []
    mp.mp.dps = 50
    for label, (n_c, m_c, v_c), (n_t, m_t, v_t), tau2 in [
        ("no-effect", (1000, 5.0, 4.0), (1000, 5.0, 4.0), 0.01),
        ("small-effect", (5000, 5.0, 4.0), (5000, 5.05, 4.1), 0.01),
        ("clear-effect", (20000, 5.0, 4.0), (20000, 5.2, 4.0), 0.04),
        ("huge-n", (100000000, 0.1, 1.0), (100000000, 0.1006, 1.0), 1e-4),
        ("negative", (3000, 1.0, 1.0), (2500, 0.9, 1.2), 0.02),
        ("tau-zero", (100, 1.0, 1.0), (100, 2.0, 1.0), 0.0),
        ("p1e-50", (1000000, 0.0, 1.0), (1000000, 0.0222, 1.0), 1e-4),
        ("p1e-200", (1000000, 0.0, 1.0), (1000000, 0.0437, 1.0), 1e-4),
        ("huge-n-negative-p1e-200", (100000000, 0.1, 1.0), (100000000, 0.1 - 0.00433, 1.0), 1e-4),
    ]:
        mp.mp.dps = 50
        V = mp.mpf(v_c) / n_c + mp.mpf(v_t) / n_t
        d = mp.mpf(m_t) - mp.mpf(m_c)
        lam = mp.sqrt(V / (V + tau2)) * mp.exp(tau2 * d * d / (2 * V * (V + tau2)))
        case = dict(name=f"msprt/{label}", control=dict(n=n_c, mean=m_c, variance=v_c),
                    treatment=dict(n=n_t, mean=m_t, variance=v_t), tau2=tau2,
                    statistic=float(lam), pvalue=float(min(1, 1 / lam)), effect=m_t - m_c)
        bound = tail_bound(label)
        if bound is not None:
            # Lambda is mpmath throughout (scipy has no mSPRT); check the label.
            assert 0 < case["pvalue"] <= bound, (label, case["pvalue"])
            case["max_pvalue"], case["pvalue_source"] = bound, "mpmath"
        out.append(case)
    return out


def special():
    # Internal functions, against 50-digit mpmath.
    mp.mp.dps = 50
    tsf = []
    for df in [1, 2.5, 7.3, 30, 150.7, 1e3, 1e5, 1e7, 3e7, 1e8, 2e8, 5e8, 1e9, 1e12, 1e16]:
        for t in [0.01, 0.7, 1.0, 1.96, 3.0, 8.0, 15.0, 25.0, 37.0]:
            v = mp_tsf(t, df)
            if v > 1e-300:
                tsf.append(dict(t=t, df=df, sf=float(v)))
    tq = []
    for df in [1, 3, 9.5, 100, 1e4, 1e6, 1e8, 1e12]:
        for q in [0.4, 0.05, 0.025, 0.005, 0.0005, 1e-10]:
            # scipy 1.10's stdtrit is off by up to 3e-9 relative; polish its
            # value with mpmath.
            t0 = -float(sc.stdtrit(df, q))
            t1 = mp.findroot(lambda t: mp_tsf(t, df) - mp.mpf(q), t0)
            tq.append(dict(q=q, df=df, t=float(t1), scipy=t0))
    chi = []
    for df in [1, 2, 3, 9, 50, 1000]:
        for x in [0.01, 0.5, 3.0, 20.0, 100.0, 250.0, 1500.0]:
            mp.mp.dps = 50
            v = mp.gammainc(mp.mpf(df) / 2, mp.mpf(x) / 2, mp.inf, regularized=True)
            if v > 1e-300:
                chi.append(dict(x=x, df=df, sf=float(v)))
    return dict(tsf=tsf, tquantile=tq, chi2sf=chi)


def main():
    gof, ind = chisq()
    props, means = sample_sizes()
    ref = dict(
        generator=dict(scipy=scipy.__version__, statsmodels=statsmodels.__version__,
                       numpy=np.__version__, mpmath=mp.__version__),
        ttest=ttests(), ztest=ztests(), mannwhitney=mannwhitney(),
        mannwhitney_lcg=mannwhitney_lcg(), gof=gof, independence=ind,
        multiple=multiple(), probability_to_beat=prob_beat(), sample_size_proportions=props,
        sample_size_means=means, cuped=cuped(), msprt=msprt(), special=special())
    json.dump(ref, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
