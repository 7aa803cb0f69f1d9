"""Interactions across sources: fundamental x technical, macro-conditioned and three-way.

Components are per-date cross-sectional z-scores (`z`), so an interaction is large when both
legs are far from the cross-section's centre; macro conditions are per-date scalars or 0/1
flags from the as-of regime (`factor_models.regime`).
"""

from __future__ import annotations

import polars as pl

from factor_models.cross_source.define import cross_factor, z

ALL = ("ibkr", "edgar", "fred")
PRICE_FUND = ("ibkr", "edgar")
QUALITY_INPUTS = ("gross_profitability", "roe_ttm", "accruals_ttm")
VALUE_INPUTS = ("bm", "ep_ttm")
QMJ = "Asness, Frazzini & Pedersen (2019), Quality minus junk, Review of Accounting Studies"
JT = "Jegadeesh & Titman (1993), JF"
QUALITY_DEF = ("quality = z(mean(z(gross_profitability), z(roe_ttm), -z(accruals_ttm))); ")
VALUE_DEF = "value = z(mean(z(bm), z(ep_ttm))); "

# Per-date conditions, built in compute.py from the macro factors and the regime.
TIGHTENING, SLOWDOWN, CURVE_SIGN = pl.col("tightening"), pl.col("slowdown"), pl.col("curve_sign")
STRESS, STRESSED, CREDIT_Z = pl.col("stress"), pl.col("stressed"), pl.col("credit_z")
INFLATION_SIGN, DOLLAR_SIGN, CYCLE = (pl.col("inflation_sign"), pl.col("dollar_sign"),
                                      pl.col("cycle"))


def _interaction(name: str, expression: pl.Expr, *, sources: tuple[str, ...],
                 inputs: tuple[str, ...], description: str, formula: str, direction: int,
                 lookback: int, reference: str, unit: str = "z-score product") -> None:
    def build() -> pl.Expr:
        return expression

    build.__qualname__ = f"interaction({name})"
    cross_factor(name, sources=sources, inputs=inputs, description=description, formula=formula,
                 unit=unit, direction=direction, lookback=lookback, reference=reference)(build)


# --- fundamental x technical ----------------------------------------------------------------
_interaction(
    "earnmom_x_pricemom", z("eps_growth_yoy") * z("mom_12_1"), sources=PRICE_FUND,
    inputs=("eps_growth_yoy", "mom_12_1"),
    description="Earnings momentum confirmed by price momentum: price trends backed by growing "
    "earnings persist; trends without fundamental news tend to reverse.",
    formula="z(eps_growth_yoy) * z(mom_12_1)", direction=1, lookback=252,
    reference="Chan, Jegadeesh & Lakonishok (1996), Momentum strategies, JF; Novy-Marx (2015), "
    "Fundamentally, momentum is fundamental momentum, NBER w20984")
_interaction(
    "revmom_x_pricemom", z("revenue_growth_yoy") * z("mom_6_1"), sources=PRICE_FUND,
    inputs=("revenue_growth_yoy", "mom_6_1"),
    description="Revenue growth confirmed by 6-1 price momentum: sales-driven news is more "
    "persistent than cost-driven earnings news.",
    formula="z(revenue_growth_yoy) * z(mom_6_1)", direction=1, lookback=126,
    reference="Jegadeesh & Livnat (2006), Revenue surprises and stock returns, JAE")
_interaction(
    "quality_x_rs", z("quality") * z("ret_126d"), sources=PRICE_FUND,
    inputs=(*QUALITY_INPUTS, "ret_126d"),
    description="Quality times relative strength: profitable, conservatively-accounted firms "
    "whose prices already lead the cross-section (quality the market is recognising).",
    formula=QUALITY_DEF + "quality * z(ret_126d)", direction=1, lookback=126,
    reference=QMJ + "; Levy (1967), Relative strength as a criterion for investment selection, JF")
_interaction(
    "growthcons_x_trend", z("growth_consistency") * z("aroon_osc_25"), sources=PRICE_FUND,
    inputs=("revenue_growth_yoy", "aroon_osc_25"),
    description="Growth consistency times trend persistence: steady year-over-year revenue "
    "growth (high mean relative to its variability over two years) with a persistent price "
    "uptrend; growth rarely persists, so the rare consistent growers the market trends with "
    "are the ones worth owning.",
    formula="growth_consistency = mean / std of revenue_growth_yoy over 504 sessions; "
    "z(growth_consistency) * z(aroon_osc_25)", direction=1, lookback=504,
    reference="Chan, Karceski & Lakonishok (2003), The level and persistence of growth rates, JF")
_interaction(
    "value_x_reversal", z("value") * z("strev_21d"), sources=PRICE_FUND,
    inputs=(*VALUE_INPUTS, "strev_21d"),
    description="Value times short-term reversal: a cheap stock's recent drop is more likely "
    "liquidity-driven overshooting than news, so it reverses more.",
    formula=VALUE_DEF + "value * z(strev_21d)", direction=1, lookback=21,
    reference="Lehmann (1990), QJE; Da, Liu & Schaumburg (2014), A closer look at the "
    "short-term return reversal, Management Science")
_interaction(
    "value_x_momentum", z("value") * z("mom_12_1"), sources=PRICE_FUND,
    inputs=(*VALUE_INPUTS, "mom_12_1"),
    description="Value times momentum: cheap stocks already turning up (value without the "
    "falling-knife leg); value and momentum are negatively correlated, so the overlap is rare.",
    formula=VALUE_DEF + "value * z(mom_12_1)", direction=1, lookback=252,
    reference="Asness (1997), The interaction of value and momentum strategies, FAJ")
_interaction(
    "fscore_x_momentum", z("piotroski_f") * z("mom_12_1"), sources=PRICE_FUND,
    inputs=("piotroski_f", "mom_12_1"),
    description="Piotroski F-score confirmed by momentum: improving fundamentals that prices "
    "are starting to reflect.", formula="z(piotroski_f) * z(mom_12_1)", direction=1,
    lookback=252, reference="Piotroski (2000), JAR; Piotroski & So (2012), Identifying "
    "expectation errors in value/glamour strategies, RFS")
_interaction(
    "lowaccruals_x_lowvol", z("accruals_ttm") * z("vol_63d"), sources=PRICE_FUND,
    inputs=("accruals_ttm", "vol_63d"),
    description="Earnings quality times low volatility: cash-backed earnings and calm prices "
    "(positive when both are low or both high; read with direction +1 on the low-low side).",
    formula="(-z(accruals_ttm)) * (-z(vol_63d))", direction=1, lookback=63,
    reference="Sloan (1996), Do stock prices fully reflect information in accruals and cash "
    "flows, TAR; Ang, Hodrick, Xing & Zhang (2006), JF")

# --- macro-conditioned ------------------------------------------------------------------------
_interaction(
    "quality_in_tightening", z("quality") * TIGHTENING, sources=ALL,
    inputs=(*QUALITY_INPUTS, "FEDFUNDS"),
    description="Quality while the Fed is tightening (0 otherwise): tighter money raises "
    "financing costs, hurting weak, externally financed firms the most.",
    formula=QUALITY_DEF + "quality * tightening (fedfunds up > 25 bp over 126 sessions)",
    direction=1, lookback=252,
    reference="Jensen, Mercer & Johnson (1996), JFE; " + QMJ)
_interaction(
    "quality_in_slowdown", z("quality") * SLOWDOWN, sources=ALL,
    inputs=(*QUALITY_INPUTS, "INDPRO", "CPILFESL"),
    description="Quality while growth is below trend (slowdown or stagflation regime, else 0): "
    "flight to quality in downturns.",
    formula=QUALITY_DEF + "quality * 1[regime in (slowdown, stagflation)]", direction=1,
    lookback=756, reference=QMJ)
_interaction(
    "leverage_x_credit", z("leverage") * CREDIT_Z, sources=ALL,
    inputs=("leverage", "BAMLH0A0HYM2"),
    description="Leverage times credit conditions: levered firms suffer when the high-yield "
    "spread is wide against its past year (null where the spread is not licensed).",
    formula="z(leverage) * credit_z; credit_z = (HY_OAS - mean_252) / std_252 (as known)",
    direction=-1, lookback=252,
    reference="Gilchrist & Zakrajsek (2012), AER; George & Hwang (2010), A resolution of the "
    "distress risk and leverage puzzles, JFE")
_interaction(
    "leverage_x_stress", z("leverage") * STRESS, sources=ALL, inputs=("leverage", "STLFSI4"),
    description="Leverage times financial stress (St. Louis Fed index, 0 = normal): refinancing "
    "risk bites when funding markets are stressed.", formula="z(leverage) * STLFSI4",
    direction=-1, lookback=5,
    reference="Kliesen & Smith (2010); Gilchrist & Zakrajsek (2012), AER")
_interaction(
    "ratesens_x_curve", z("beta_dgs10_252d") * CURVE_SIGN, sources=("ibkr", "fred"),
    inputs=("close", "DGS10", "DGS2"),
    description="Rate sensitivity times the curve regime (+1 steep, 0 flat, -1 inverted): "
    "stocks that gain when yields rise (banks, value) do well in steep curves, long-duration "
    "stocks when the curve inverts.", formula="z(beta_dgs10_252d) * curve_sign", direction=0,
    lookback=253, reference="Fama & French (1989), Business conditions and expected returns on "
    "stocks and bonds, JFE; English, Van den Heuvel & Zakrajsek (2018), JME")
_interaction(
    "inflbeta_x_inflation", z("beta_breakeven_252d") * INFLATION_SIGN, sources=("ibkr", "fred"),
    inputs=("close", "T10YIE", "CPILFESL"),
    description="Inflation beta times the inflation regime (+1 core inflation above trend, -1 "
    "below): inflation hedges pay when inflation is rising.",
    formula="z(beta_breakeven_252d) * sign(inflation_signal)", direction=1, lookback=756,
    reference="Boons, Duarte, de Roon & Szymanowska (2020), Time-varying inflation risk and "
    "stock returns, JFE")
_interaction(
    "dollarbeta_x_dollar_trend", z("beta_dollar_252d") * DOLLAR_SIGN, sources=("ibkr", "fred"),
    inputs=("close", "DTWEXBGS"),
    description="Dollar beta times the dollar's quarterly trend sign: stocks exposed the right "
    "way to a trending dollar.", formula="z(beta_dollar_252d) * sign(dollar_chg_63d)",
    direction=0, lookback=253,
    reference="Jorion (1990), JB; Lustig, Roussanov & Verdelhan (2014), JFE")
_interaction(
    "momentum_in_calm", z("mom_12_1") * (1.0 - STRESSED), sources=("ibkr", "fred"),
    inputs=("mom_12_1", "STLFSI4"),
    description="Momentum outside stressed markets (0 when the stress index is above 0): "
    "momentum crashes cluster in stressed, rebounding markets.",
    formula="z(mom_12_1) * 1[STLFSI4 <= 0]", direction=1, lookback=252,
    reference="Daniel & Moskowitz (2016), Momentum crashes, JFE; Cooper, Gutierrez & Hameed "
    "(2004), Market states and momentum, JF")
_interaction(
    "lowvol_in_stress", -z("vol_63d") * STRESSED, sources=("ibkr", "fred"),
    inputs=("vol_63d", "STLFSI4"),
    description="Low volatility in stressed markets (0 otherwise): flight to safety.",
    formula="-z(vol_63d) * 1[STLFSI4 > 0]", direction=1, lookback=63,
    reference="Ang, Hodrick, Xing & Zhang (2006), JF; Frazzini & Pedersen (2014), Betting "
    "against beta, JFE")
_interaction(
    "value_x_curve", z("value") * CURVE_SIGN, sources=ALL, inputs=(*VALUE_INPUTS, "DGS10", "DGS2"),
    description="Value times the curve regime: the value premium tracks the term spread "
    "(value is a bet on recovery, which a steep curve anticipates).",
    formula=VALUE_DEF + "value * curve_sign", direction=0, lookback=1,
    reference="Fama & French (1989), JFE; Asness, Friedman, Krail & Liew (2000), Style timing, "
    "JPM")

# --- three-way ------------------------------------------------------------------------------
_interaction(
    "cycle_quality_momentum", z("quality") * z("mom_12_1") * CYCLE, sources=ALL,
    inputs=(*QUALITY_INPUTS, "mom_12_1", "INDPRO"),
    description="Cycle x quality x momentum: quality winners in slowing growth (cycle = +1 "
    "when industrial production growth is below its 3-year median, -1 above) - the defensive "
    "leaders that late-cycle markets rotate into.",
    formula=QUALITY_DEF + "quality * z(mom_12_1) * cycle", direction=1, lookback=756,
    reference=QMJ + "; " + JT, unit="z-score product")
_interaction(
    "credit_balance_liquidity", CREDIT_Z * -z("leverage") * z("liquidity"), sources=ALL,
    inputs=("leverage", "amihud_21d", "BAMLH0A0HYM2"),
    description="Credit x balance sheet x liquidity: when high-yield spreads are wide, "
    "strong balance sheets that are also liquid to trade are sought (null where the spread is "
    "not licensed).",
    formula="credit_z * (-z(leverage)) * z(liquidity); liquidity = -amihud_21d",
    direction=1, lookback=252,
    reference="Acharya & Pedersen (2005), Asset pricing with liquidity risk, JFE; Gilchrist & "
    "Zakrajsek (2012), AER")
_interaction(
    "stress_balance_liquidity", STRESS * -z("leverage") * z("liquidity"), sources=ALL,
    inputs=("leverage", "amihud_21d", "STLFSI4"),
    description="Financial stress x balance sheet x liquidity: the flight to quality and "
    "liquidity when funding markets are stressed.",
    formula="STLFSI4 * (-z(leverage)) * z(liquidity); liquidity = -amihud_21d", direction=1,
    lookback=21, reference="Brunnermeier & Pedersen (2009), Market liquidity and funding "
    "liquidity, RFS; Acharya & Pedersen (2005), JFE")
_interaction(
    "tightening_value_quality", TIGHTENING * z("value") * z("quality"), sources=ALL,
    inputs=(*VALUE_INPUTS, *QUALITY_INPUTS, "FEDFUNDS"),
    description="Tightening x value x quality: cheap, high-quality firms (short duration, "
    "self-financing) while the Fed tightens.",
    formula=VALUE_DEF + QUALITY_DEF + "tightening * value * quality", direction=1, lookback=126,
    reference="Novy-Marx (2013), The other side of value, JFE; Jensen, Mercer & Johnson (1996)")
