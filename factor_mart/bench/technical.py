"""Our technical factors versus the usual way to write them: pandas groupby per symbol + TA-Lib.

Both engines compute the same 33 catalog factors from the same adjusted bars; `compare` gives the
largest difference per factor on the rows where both have a value (TA-Lib withholds some values
during warm-up, e.g. the MACD line until its signal exists).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import polars as pl

KEY = ("date", "symbol")
YEAR = 252
ANNUALISE = math.sqrt(YEAR)


def synthetic_bars(symbols: int, years: int, seed: int) -> pl.DataFrame:
    """The synthetic universe's adjusted bars: symbol, date, open, high, low, close, volume."""
    from ingestion.synthetic import SyntheticUniverse

    bars = SyntheticUniverse(symbols=symbols, years=years, seed=seed).bars_frame("ADJUSTED_LAST")
    return bars.select("symbol", pl.col("bar_date").alias("date"), "open", "high", "low",
                       "close", pl.col("volume").cast(pl.Float64))


def technical(engine: str, bars_path: Path) -> pl.DataFrame:
    """Wide (date, symbol, factor...) frame from the bars parquet file, sorted by symbol, date."""
    if engine == "polars":
        from factor_models.technical import compute_technical

        return compute_technical(pl.read_parquet(bars_path))
    if engine == "talib":
        import pandas as pd

        return pl.from_pandas(pandas_talib(pd.read_parquet(bars_path)))
    raise ValueError(f"engine must be polars or talib, not {engine!r}")


def pandas_talib(bars):
    """Every technical factor the way most quants write it: pandas groupby, TA-Lib per symbol."""
    bars = bars.sort_values(["symbol", "date"], ignore_index=True)
    bars["ret"] = bars.groupby("symbol", sort=False)["close"].pct_change(fill_method=None)
    bars["mkt"] = bars.groupby("date")["ret"].transform("mean")
    return bars.groupby("symbol", sort=False, group_keys=False)[list(bars.columns)].apply(
        _one_symbol).reset_index(drop=True)


def _one_symbol(df):
    """The 33 factors of one symbol's bars (a pandas frame sorted by date)."""
    import pandas as pd
    import talib

    o = {c: df[c].to_numpy(dtype=float) for c in ("high", "low", "close", "volume")}
    h, lo, c, v = o["high"], o["low"], o["close"], o["volume"]
    close, ret, mkt = df["close"], df["ret"], df["mkt"]
    out = {"date": df["date"].to_numpy(), "symbol": df["symbol"].to_numpy()}
    for days in (1, 5, 21, 63, 126, 252):
        out[f"ret_{days}d"] = close / close.shift(days) - 1.0
    out["mom_12_1"] = close.shift(21) / close.shift(252) - 1.0
    out["mom_6_1"] = close.shift(21) / close.shift(126) - 1.0
    out["strev_21d"] = -(close / close.shift(21) - 1.0)
    out["vol_21d"] = ret.rolling(21).std() * ANNUALISE
    out["vol_63d"] = ret.rolling(63).std() * ANNUALISE
    out["downside_vol_63d"] = np.sqrt((ret.clip(upper=0.0) ** 2).rolling(63).mean() * YEAR)
    out["max_ret_21d"] = ret.rolling(21).max()
    n = 63  # pandas' skew is the adjusted Fisher-Pearson G1; ours is the population g1.
    out["skew_63d"] = ret.rolling(n).skew() * (n - 2) / math.sqrt(n * (n - 1))
    out["dist_52w_high"] = close / close.rolling(252).max() - 1.0
    out["atr_14"] = talib.NATR(h, lo, c, 14) / 100.0
    out["rsi_14"] = talib.RSI(c, 14)
    line, signal, hist = talib.MACD(c, 12, 26, 9)
    out["macd_12_26"], out["macd_signal_9"], out["macd_hist"] = line / c, signal / c, hist / c
    upper, _, lower = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    out["bb_pctb_20"] = (c - lower) / (upper - lower)
    out["adx_14"] = talib.ADX(h, lo, c, 14)
    out["cci_20"] = talib.CCI(h, lo, c, 20)
    out["stoch_k_14"], out["stoch_d_3"] = talib.STOCHF(h, lo, c, 14, 3, 0)
    out["willr_14"] = talib.WILLR(h, lo, c, 14)
    out["aroon_osc_25"] = talib.AROONOSC(h, lo, 25)
    out["mfi_14"] = talib.MFI(h, lo, c, v, 14)
    obv = pd.Series(talib.OBV(c, v), index=df.index)
    traded = df["volume"].rolling(21).sum()
    out["obv_trend_21d"] = ((obv - obv.shift(21)) / traded).where(traded > 0)
    out["dollar_volume_21d"] = (close * df["volume"]).rolling(21).mean()
    dollar_volume = close * df["volume"]
    out["amihud_21d"] = (ret.abs() / dollar_volume * 1e6).where(dollar_volume > 0).rolling(
        21).mean()
    pair = ret.notna() & mkt.notna()
    x, y = mkt.where(pair), ret.where(pair)
    cov, var_x, var_y = x.rolling(YEAR).cov(y), x.rolling(YEAR).var(), y.rolling(YEAR).var()
    out["beta_mkt_252d"] = (cov / var_x).where(var_x > 0)
    ssr = ((YEAR - 1) * (var_y - cov ** 2 / var_x)).clip(lower=0.0)
    out["idio_vol_252d"] = np.sqrt(ssr / (YEAR - 2) * YEAR).where(var_x > 0)
    return pd.DataFrame({k: np.asarray(val) for k, val in out.items()})


def compare(ours: pl.DataFrame, theirs: pl.DataFrame) -> dict:
    """Per factor: rows where both engines have a value, the largest absolute and relative
    difference there, and rows where exactly one has a value (after TA-Lib's longer warm-up)."""
    factors = [c for c in ours.columns if c not in KEY]
    missing = [f for f in factors if f not in theirs.columns]
    if missing:
        raise ValueError(f"the TA-Lib engine lacks factor(s) {missing}")
    theirs = theirs.select(pl.col("date").cast(pl.Date), "symbol", *factors)
    joined = ours.join(theirs, on=list(KEY), how="inner", suffix="_ref")
    rows = {}
    for f in factors:
        a, b = pl.col(f).fill_nan(None), pl.col(f"{f}_ref").fill_nan(None)
        both = a.is_not_null() & b.is_not_null()
        stats = joined.select(
            both=both.sum(),
            only_ours=(a.is_not_null() & b.is_null()).sum(),
            only_talib=(a.is_null() & b.is_not_null()).sum(),
            max_abs=(a - b).abs().filter(both).max(),
            max_rel=((a - b).abs() / pl.max_horizontal(a.abs(), b.abs(), pl.lit(1.0)))
            .filter(both).max()).row(0, named=True)
        rows[f] = {k: (float(v) if v is not None else 0.0) if k.startswith("max") else int(v)
                   for k, v in stats.items()}
    return {"rows_compared": joined.height, "factors": rows,
            "max_abs_diff": max(r["max_abs"] for r in rows.values()),
            "max_rel_diff": max(r["max_rel"] for r in rows.values()),
            "only_talib": sum(r["only_talib"] for r in rows.values())}


TOLERANCE = 1e-9  # relative to max(|value|, 1): well above float noise, far below a real change


def side_by_side(config, folder: Path, progress=print) -> dict:
    """Both engines in their own process on the same bars file: time, peak RSS, agreement."""
    from factor_mart.bench.runner import run_child

    began = time.perf_counter()
    bars = synthetic_bars(config.symbols, config.years, config.seed)
    bars_path = folder / "bars.parquet"
    bars.write_parquet(bars_path)
    generated = time.perf_counter() - began
    runs = {}
    for engine in ("polars", "talib"):
        values = folder / f"technical-{engine}.parquet"
        runs[engine] = run_child(f"technical:{engine}", [
            "technical", engine, "--bars", str(bars_path), "--values", str(values)],
            dict(os.environ), folder / f"technical-{engine}.json")
        progress(f"  {engine}: {runs[engine].seconds:.1f} s whole process, "
                 f"{runs[engine].peak_rss_mb:,.0f} MB")
    agreement = compare(pl.read_parquet(folder / "technical-polars.parquet"),
                        pl.read_parquet(folder / "technical-talib.parquet"))
    differing = {f: r for f, r in agreement["factors"].items() if r["max_rel"] > TOLERANCE}
    return {"bars": bars.height, "generate_bars_seconds": round(generated, 2),
            "engines": {k: m.as_dict() for k, m in runs.items()},
            "speedup": round(runs["talib"].seconds / runs["polars"].seconds, 2),
            "cpu_speedup": round(runs["talib"].cpu_seconds / runs["polars"].cpu_seconds, 2),
            "memory_ratio": round(runs["talib"].peak_rss_mb / runs["polars"].peak_rss_mb, 2),
            "tolerance_relative": TOLERANCE, "agree": not differing,
            "differing_factors": differing, **agreement}
