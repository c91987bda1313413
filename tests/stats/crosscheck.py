#!/usr/bin/python3
"""Cross-check concbench's statistics (runner/base/stats.c, through the
stats_check binary) against independent implementations: numpy/scipy where
they have the statistic, else a brute-force reference written from the
definition (the exact Mann-Whitney null distribution by enumerating every
arrangement). Fixed vectors from a seeded generator: no timing, no numbers
copied from concbench's own output.

usage: crosscheck.py PATH/TO/stats-check      exit 0 when every figure agrees
"""
import itertools
import math
import subprocess
import sys

import numpy as np
from scipy import special, stats

TOL = 1e-9
OUTLIER_MADS = 14.826  # hyperfine: 10 standard deviations of 1.4826 MAD each
failures = []


class Checker:
    def __init__(self, exe):
        self.p = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = self.p.stdout.readline().split()
        if not out or out[0] == "error":
            raise RuntimeError("stats_check failed on: " + line[:80])
        return [float(v) for v in out]


def fmt(v):
    return " ".join(repr(float(x)) for x in v)


def close(got, want, what):
    for g, w in zip(got, want):
        if (math.isnan(w) and math.isnan(g)) or g == w:
            continue
        if math.isnan(g) or math.isnan(w) or abs(g - w) > TOL * max(1.0, abs(w)):
            failures.append("%s: concbench %r, reference %r" % (what, got, want))
            return


# ---- references -------------------------------------------------------------

def median_interval(x):
    """Distribution-free interval of the median: the order statistics
    [x(r), x(n+1-r)] with the largest r whose coverage
    P(r <= Binomial(n, 1/2) <= n - r) is >= 95%; r = 1 when none is."""
    n, s = len(x), np.sort(x)
    r = 1
    for cand in range(1, n // 2 + 1):
        cover = stats.binom.cdf(n - cand, n, 0.5) - stats.binom.cdf(cand - 1, n, 0.5)
        if cover >= 0.95 - 1e-12:
            r = cand
    cover = stats.binom.cdf(n - r, n, 0.5) - stats.binom.cdf(r - 1, n, 0.5)
    return s[r - 1], s[n - r], cover


def outliers(x):
    med = np.median(x)
    mad = stats.median_abs_deviation(x, scale=1.0)
    dev = np.abs(np.asarray(x) - med)
    return int(np.sum(dev / mad > OUTLIER_MADS)) if mad > 0 else int(np.sum(dev > 0))


def u_null_cdf(m, n):
    """P(U <= u), U = #{(x, y): x > y}, by enumerating every placement of
    the m x's among the m + n ranks (all equally likely under H0)."""
    counts = np.zeros(m * n + 1)
    for xs in itertools.combinations(range(m + n), m):
        # rank r of an x (0-based) beats the y's below it: r - (x's below it)
        counts[sum(r - i for i, r in enumerate(xs))] += 1
    return np.cumsum(counts) / special.comb(m + n, m, exact=True)


def hl_reference(b, h):
    """Hodges-Lehmann ratio h/b on log values, its interval and coverage."""
    m, n = len(b), len(h)
    d = np.sort([math.log(hj) - math.log(bi) for bi in b for hj in h])
    if m * n <= 2500:
        cdf = u_null_cdf(m, n)
        ok = [u + 1 for u in range(m * n + 1) if cdf[u] <= 0.025 + 1e-12]
        k = max(ok) if ok else 1  # no rank reaches 95%: the widest interval
        below = cdf[k - 1]  # P(U <= k - 1)
        conf = 1 - 2 * below
    else:
        mu, sd = m * n / 2, math.sqrt(m * n * (m + n + 1) / 12)
        k = max(1, math.floor(mu - stats.norm.ppf(0.975) * sd + 0.5))
        conf = 1 - 2 * stats.norm.cdf((k - 0.5 - mu) / sd)
    return math.exp(np.median(d)), math.exp(d[k - 1]), math.exp(d[m * n - k]), conf


def pooled_reference(strata):
    """The ratio h/b shared by strata (b, h): the median and order
    statistics of the within-stratum pairwise log ratios, the rank from
    the null distribution of the summed U (each stratum's by enumeration,
    convolved) or, past 10000 pairs, the normal approximation."""
    d = np.sort([math.log(hj) - math.log(bi) for b, h in strata for bi in b for hj in h])
    n = len(d)
    if n <= 10000 and all(len(b) * len(h) <= 2500 for b, h in strata):
        pmf = np.array([1.0])
        for b, h in strata:
            cdf = u_null_cdf(len(b), len(h))
            pmf = np.convolve(pmf, np.diff(np.concatenate(([0.0], cdf))))
        cdf = np.cumsum(pmf)
        ok = [u + 1 for u in range(n + 1) if cdf[u] <= 0.025 + 1e-12]
        k = max(ok) if ok else 1
        conf = 1 - 2 * cdf[k - 1]
    else:
        mu = sum(len(b) * len(h) / 2 for b, h in strata)
        sd = math.sqrt(sum(len(b) * len(h) * (len(b) + len(h) + 1) / 12 for b, h in strata))
        k = max(1, math.floor(mu - stats.norm.ppf(0.975) * sd + 0.5))
        conf = 1 - 2 * stats.norm.cdf((k - 0.5 - mu) / sd)
    return math.exp(np.median(d)), math.exp(d[k - 1]), math.exp(d[n - k]), conf


def mwu_reference(a, b):
    ties = len(set(a) | set(b)) < len(a) + len(b)
    exact = not ties and len(a) * len(b) <= 2500
    r = stats.mannwhitneyu(a, b, alternative="two-sided", use_continuity=True,
                           method="exact" if exact else "asymptotic")
    return r.pvalue


# ---- the checks -------------------------------------------------------------

def main(exe):
    c = Checker(exe)
    rng = np.random.default_rng(20261202)
    samples = [
        [5.0, 1.0, 4.0, 2.0, 3.0],
        [1.0, 2.0, 3.0],
        [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 4.0],  # MAD = 0
        [-1.0, -1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 18.0],  # 18 MAD: an outlier
        [-1.0, -1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 14.0],  # 14 MAD: not one
    ]
    for n in (1, 2, 4, 6, 7, 10, 11, 25, 100, 513, 2000):
        samples.append(list(rng.lognormal(0.0, 0.3, n)))
    samples.append(list(np.append(rng.normal(1.0, 0.01, 999), 5.0)))  # 1000 reps, one spike

    for x in samples:
        got = c.ask("summary " + fmt(x))
        lo, hi, cover = median_interval(x)
        want = [np.median(x), np.mean(x), np.std(x, ddof=1) if len(x) > 1 else 0.0,
                min(x), max(x), lo, hi, cover, stats.median_abs_deviation(x, scale=1.0),
                outliers(x)]
        close(got, want, "summary of %d values" % len(x))
        for p in (0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 1.0):
            close(c.ask("quantile %r %s" % (p, fmt(x))), [np.quantile(x, p)],
                  "quantile %g of %d values" % (p, len(x)))

    # the median interval covers the true median as often as it says
    for n in (3, 5, 8):
        trials, hits, conf = 4000, 0, None
        for _ in range(trials):
            x = rng.exponential(1.0, n)  # true median log 2
            got = c.ask("summary " + fmt(x))
            conf = got[7]
            hits += got[5] <= math.log(2) <= got[6]
        sd = math.sqrt(conf * (1 - conf) / trials)
        if abs(hits / trials - conf) > 4 * sd:
            failures.append("median interval at n=%d covers %.4f, claims %.4f" %
                            (n, hits / trials, conf))

    # Mann-Whitney: exact without ties, normal approximation with them
    pairs = [([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]), ([1, 3, 5], [2, 4]),
             ([1.0] * 8, [2.0] * 8), ([1, 2, 2, 3, 5], [2, 4, 4, 6, 7, 7])]
    for m, n in ((3, 3), (5, 5), (4, 7), (8, 8), (20, 30), (60, 60)):
        pairs.append((list(rng.normal(0, 1, m)), list(rng.normal(0.7, 1, n))))
    for a, b in pairs:
        p, pmin = c.ask("mwu %s | %s" % (fmt(a), fmt(b)))
        close([p], [mwu_reference(a, b)], "Mann-Whitney p, %d vs %d" % (len(a), len(b)))
        if len(set(a) | set(b)) == len(a) + len(b) and len(a) * len(b) <= 2500:
            close([pmin], [min(1, 2 / special.comb(len(a) + len(b), len(a)))],
                  "Mann-Whitney smallest p, %d vs %d" % (len(a), len(b)))

    # Hodges-Lehmann ratio and the speedup built on it
    for m, n in ((1, 1), (2, 2), (3, 3), (5, 5), (3, 5), (2, 7), (8, 8), (60, 60)):
        b = list(rng.lognormal(0.0, 0.2, m))
        h = list(rng.lognormal(0.3, 0.2, n))
        want = hl_reference(b, h)
        close(c.ask("hl %s | %s" % (fmt(b), fmt(h))), want, "Hodges-Lehmann %d vs %d" % (m, n))
        # speedup of wall times: base/cell; of rates: cell/base
        close(c.ask("speedup 0 %s | %s" % (fmt(h), fmt(b))), want,
              "speedup of times %d vs %d" % (n, m))
        close(c.ask("speedup 1 %s | %s" % (fmt(b), fmt(h))), want,
              "speedup of rates %d vs %d" % (m, n))
    # the ratio several strata share (a workload's cells, each at its level)
    shapes = ([(5, 5)], [(5, 5)] * 5, [(3, 3), (4, 2), (2, 5)], [(5, 5)] * 25,
              [(60, 60)] * 4)
    for shape in shapes:
        strata = []
        for i, (m, n) in enumerate(shape):
            level = 0.1 * (i + 1)  # each cell its own time
            strata.append((list(rng.lognormal(level, 0.2, m)),
                           list(rng.lognormal(level + 0.25, 0.2, n))))
        req = " | ".join("%s | %s" % (fmt(b), fmt(h)) for b, h in strata)
        close(c.ask("hlpool " + req), pooled_reference(strata),
              "pooled Hodges-Lehmann over %d strata" % len(shape))
    b, h = [1.0, 1.1, float("nan"), 0.9], [2.0, float("inf"), 2.2, 1.8]
    close(c.ask("speedup 1 %s | %s" % (fmt(b), fmt(h))),
          hl_reference([1.0, 1.1, 0.9], [2.0, 2.2, 1.8]), "speedup skips NaN and inf")

    c.p.stdin.close()
    c.p.wait()
    for f in failures:
        print("crosscheck: " + f, file=sys.stderr)
    print("crosscheck: %s" % ("%d failures" % len(failures) if failures else "all agree"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
