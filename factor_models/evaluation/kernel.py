"""The per-date statistics of one factor, compiled (numba): one walk per date and horizon.

Each date's cross-section is sorted once (by numpy, before the call); every rank the
evaluation needs is then a running count along that order: the factor's own ranks (turnover,
autocorrelation), its ranks among the names with a label, and within each sector, with ties
averaged over the names the subset keeps. The labels' orders are sorted once for all factors.
The polars functions in ``ic``, ``quantiles`` and ``stability`` state the same numbers one group
at a time and are the reference the tests compare this with.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def _lerp(a: float, b: float, t: float) -> float:
    """numpy's linear quantile interpolation, step for step (pandas.qcut's edges use it)."""
    diff = b - a
    if t >= 0.5:
        return b - diff * (1 - t)
    return a + diff * t


@njit(cache=True, nogil=True, error_model="numpy")
def _buckets(ordered, n, columns, quantiles, out):
    """pandas.qcut buckets (1..q) of ``n`` values given in ascending order (``ordered``) with
    their ``columns``; every other column gets 0, and so does every column when the edges are
    not all distinct. Returns whether they were."""
    out[:] = 0
    if n == 0:
        return False
    edges = np.empty(quantiles + 1)
    for k in range(quantiles + 1):
        position = (n - 1) * (k / quantiles)
        low = max(int(np.floor(position)), 0)
        high = min(low + 1, max(n - 1, 0))
        edges[k] = _lerp(ordered[low], ordered[high], position - low)
    for k in range(quantiles):
        if not edges[k + 1] > edges[k]:
            return False
    bucket = 1  # a value equal to an edge falls in the lower bucket
    for p in range(n):
        while bucket < quantiles and ordered[p] > edges[bucket]:
            bucket += 1
        out[columns[p]] = bucket
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _subset_ranks(ordered, order, count, member, sector_of, ranks, sector_ranks, counts,
                  run_counts):
    """Average ranks (1..n) of the members, overall and within each sector, written at their
    columns (other columns are left as they were). ``ordered``: the finite values ascending,
    ``count`` of them, and ``order`` their columns. ``counts`` ends holding each sector's
    members. Returns the number of members."""
    counts[:] = 0
    seen = 0
    j = 0
    while j < count:
        value = ordered[j]
        k = j + 1
        while k < count and ordered[k] == value:
            k += 1
        if k == j + 1:  # no tie: the common case
            c = order[j]
            if member[c]:
                seen += 1
                ranks[c] = seen
                s = sector_of[c]
                if s >= 0:
                    counts[s] += 1
                    sector_ranks[c] = counts[s]
        else:
            inside = 0
            for p in range(j, k):
                c = order[p]
                if member[c]:
                    inside += 1
                    if sector_of[c] >= 0:
                        run_counts[sector_of[c]] += 1
            for p in range(j, k):
                c = order[p]
                if member[c]:
                    ranks[c] = seen + (inside + 1) / 2.0
                    s = sector_of[c]
                    if s >= 0:
                        sector_ranks[c] = counts[s] + (run_counts[s] + 1) / 2.0
            for p in range(j, k):
                s = sector_of[order[p]]
                if s >= 0 and run_counts[s] > 0:
                    counts[s] += run_counts[s]
                    run_counts[s] = 0
            seen += inside
        j = k
    return seen


@njit(cache=True, nogil=True, error_model="numpy")
def evaluate_rows(values, pearson, order, base, emit_from, labels, label_order, label_count,
                  label_ranks, label_sector_ranks, sector_of, sectors, quantiles, rank_ic,
                  pearson_ic, names, quantile_means, turnover, autocorr, symbols, sector_ic,
                  sector_names):
    """Fill the per-date outputs of grid rows ``base + emit_from .. base + len(values)``.

    ``values``/``pearson``: (rows x names) of the factor (NaN where absent), ``order`` their
    row-wise argsort with absent names last; row r is grid row ``base + r`` and row 0 only
    seeds turnover and autocorrelation when ``emit_from`` is 1. ``labels`` (horizons x dates x
    names) with, per grid row, ``label_order``, ``label_count`` (names with a label) and the
    labels' own ranks overall and within sectors. Outputs are indexed by horizon, [sector,]
    grid row: rank and Pearson IC and names per date; quantile means (labels demeaned per
    date); turnover of the bottom and top buckets; rank autocorrelation; names with a value;
    per-sector rank IC and names. Correlations remove the means before the products (within
    sectors, from sums of half-integer ranks, which are exact in floating point).
    """
    rows, width = values.shape
    horizons = labels.shape[0]
    spans = max(sectors, 1)
    present = np.zeros(width, np.bool_)
    member = np.zeros(width, np.bool_)
    previous_present = np.zeros(width, np.bool_)
    own_ranks = np.empty(width)
    own_sector_ranks = np.empty(width)
    previous_ranks = np.empty(width)
    own_buckets = np.zeros(width, np.int8)
    previous_buckets = np.zeros(width, np.int8)
    subset_ranks = np.empty(width)
    subset_sector_ranks = np.empty(width)
    subset_buckets = np.zeros(width, np.int8)
    walked_ranks = np.empty(width)
    walked_sector_ranks = np.empty(width)
    own_sorted = np.empty(width)
    sorted_values = np.empty(width)
    member_line = np.empty(width, order.dtype)
    label_sorted = np.empty(width)
    counts = np.zeros(spans, np.int64)
    member_counts = np.zeros(spans, np.int64)
    scratch_counts = np.zeros(spans, np.int64)
    run_counts = np.zeros(spans, np.int64)
    sector_sums = np.zeros((spans, 3))
    bucket_sum = np.zeros(quantiles + 1)
    bucket_n = np.zeros(quantiles + 1, np.int64)
    for r in range(rows):
        g = base + r
        row = values[r]
        line = order[r]
        count = 0
        for c in range(width):
            finite = np.isfinite(row[c])
            present[c] = finite
            count += finite
        for p in range(count):  # the finite values come first in ``line``
            own_sorted[p] = row[line[p]]
        _subset_ranks(own_sorted, line, count, present, sector_of, own_ranks, own_sector_ranks,
                      counts, run_counts)
        _buckets(own_sorted, count, line, quantiles, own_buckets)
        if r >= emit_from:
            symbols[g] = count
        if r >= emit_from and r >= 1:
            # Turnover of the bottom and top buckets, and the rank autocorrelation over the
            # names present on both dates (each date's ranks over its whole cross-section).
            size_bottom = moved_bottom = size_top = moved_top = 0
            had_bottom = had_top = False
            n = 0
            sx = sy = 0.0
            for c in range(width):
                now, before = own_buckets[c], previous_buckets[c]
                had_bottom |= before == 1
                had_top |= before == quantiles
                if now == 1:
                    size_bottom += 1
                    moved_bottom += before != 1
                if now == quantiles:
                    size_top += 1
                    moved_top += before != quantiles
                if present[c] and previous_present[c]:
                    n += 1
                    sx += own_ranks[c]
                    sy += previous_ranks[c]
            turnover[g, 0] = moved_bottom / size_bottom if size_bottom and had_bottom \
                else np.nan
            turnover[g, 1] = moved_top / size_top if size_top and had_top else np.nan
            if n > 0:
                mx, my = sx / n, sy / n
                sxy = sxx = syy = 0.0
                for c in range(width):
                    if present[c] and previous_present[c]:
                        dx, dy = own_ranks[c] - mx, previous_ranks[c] - my
                        sxy += dx * dy
                        sxx += dx * dx
                        syy += dy * dy
                denominator = np.sqrt(sxx * syy)
                autocorr[g] = sxy / denominator if denominator > 0 else np.nan
        if r >= emit_from:
            for h in range(horizons):
                label = labels[h, g]
                z = pearson[r]
                inside = pearson_n = 0
                label_total = z_total = pearson_label_total = 0.0
                for c in range(width):
                    m = present[c] and np.isfinite(label[c])
                    member[c] = m
                    if m:
                        inside += 1
                        label_total += label[c]
                        if np.isfinite(z[c]):
                            pearson_n += 1
                            z_total += z[c]
                            pearson_label_total += label[c]
                names[h, g] = inside
                if inside == 0:
                    for s in range(sectors):
                        sector_names[h, s, g] = 0
                    continue
                if inside == count:  # every name with a value has a label: its own ranks
                    ranks, sector_ranks, buckets = own_ranks, own_sector_ranks, own_buckets
                else:
                    _subset_ranks(own_sorted, line, count, member, sector_of, subset_ranks,
                                  subset_sector_ranks, scratch_counts, run_counts)
                    kept = 0
                    for p in range(count):
                        if member[line[p]]:
                            sorted_values[kept] = own_sorted[p]
                            member_line[kept] = line[p]
                            kept += 1
                    _buckets(sorted_values, kept, member_line, quantiles, subset_buckets)
                    ranks, sector_ranks, buckets = subset_ranks, subset_sector_ranks, \
                        subset_buckets
                if inside == label_count[h, g]:  # every labelled name has a value
                    y_ranks, y_sector_ranks = label_ranks[h, g], label_sector_ranks[h, g]
                else:
                    labelled, label_line = label_count[h, g], label_order[h, g]
                    for p in range(labelled):
                        label_sorted[p] = label[label_line[p]]
                    _subset_ranks(label_sorted, label_line, labelled, member, sector_of,
                                  walked_ranks, walked_sector_ranks, scratch_counts, run_counts)
                    y_ranks, y_sector_ranks = walked_ranks, walked_sector_ranks
                # One pass: rank IC (ranks average (n + 1) / 2, overall and per sector),
                # Pearson IC, and the bucket sums of the labels demeaned over bucketed names.
                middle = (inside + 1) / 2.0
                z_mean = z_total / pearson_n if pearson_n else 0.0
                y_mean = pearson_label_total / pearson_n if pearson_n else 0.0
                label_mean = label_total / inside
                sxy = sxx = syy = pxy = pxx = pyy = 0.0
                member_counts[:] = 0
                sector_sums[:] = 0.0
                bucket_sum[:] = 0.0
                bucket_n[:] = 0
                for c in range(width):
                    if not member[c]:
                        continue
                    dx, dy = ranks[c] - middle, y_ranks[c] - middle
                    sxy += dx * dy
                    sxx += dx * dx
                    syy += dy * dy
                    if np.isfinite(z[c]):
                        dx, dy = z[c] - z_mean, label[c] - y_mean
                        pxy += dx * dy
                        pxx += dx * dx
                        pyy += dy * dy
                    b = buckets[c]
                    if b > 0:
                        bucket_sum[b] += label[c] - label_mean
                        bucket_n[b] += 1
                    s = sector_of[c]
                    if s >= 0:
                        member_counts[s] += 1
                        sector_sums[s, 0] += sector_ranks[c] * y_sector_ranks[c]
                        sector_sums[s, 1] += sector_ranks[c] * sector_ranks[c]
                        sector_sums[s, 2] += y_sector_ranks[c] * y_sector_ranks[c]
                denominator = np.sqrt(sxx * syy)
                rank_ic[h, g] = sxy / denominator if denominator > 0 else np.nan
                denominator = np.sqrt(pxx * pyy)
                pearson_ic[h, g] = pxy / denominator if pearson_n and denominator > 0 \
                    else np.nan
                for q in range(1, quantiles + 1):
                    quantile_means[h, g, q - 1] = bucket_sum[q] / bucket_n[q] if bucket_n[q] \
                        else np.nan
                for s in range(sectors):
                    n = member_counts[s]
                    sector_names[h, s, g] = n
                    # Centred sums from raw ones: both sides' ranks sum to n(n+1)/2.
                    shift = n * ((n + 1) / 2.0) ** 2
                    covariance = sector_sums[s, 0] - shift
                    denominator = np.sqrt((sector_sums[s, 1] - shift)
                                          * (sector_sums[s, 2] - shift))
                    sector_ic[h, s, g] = covariance / denominator if denominator > 0 \
                        else np.nan
        # This date becomes the previous one: swap the buffers rather than copy them.
        present, previous_present = previous_present, present
        own_ranks, previous_ranks = previous_ranks, own_ranks
        own_buckets, previous_buckets = previous_buckets, own_buckets


@njit(cache=True, nogil=True, error_model="numpy")
def average_ranks(values, order, sector_of):
    """Row-wise average ranks (1..n, ties averaged) of the finite values, overall and within
    each column's sector (``sector_of``, -1 for none); NaN elsewhere. ``order``: each row's
    argsort with the non-finite values last."""
    rows, width = values.shape
    ranks = np.full((rows, width), np.nan)
    sector_ranks = np.full((rows, width), np.nan)
    present = np.zeros(width, np.bool_)
    ordered = np.empty(width)
    spans = max(sector_of.max() + 1, 1) if width else 1
    counts = np.zeros(spans, np.int64)
    run_counts = np.zeros(spans, np.int64)
    for r in range(rows):
        count = 0
        for c in range(width):
            present[c] = np.isfinite(values[r, c])
            count += present[c]
        for p in range(count):
            ordered[p] = values[r, order[r, p]]
        _subset_ranks(ordered, order[r], count, present, sector_of, ranks[r], sector_ranks[r],
                      counts, run_counts)
    return ranks, sector_ranks
