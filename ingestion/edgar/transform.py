"""Transform: EDGAR payloads into raw-table batches; records failing validation become Rejected.

The SEC's field names (``accn``, ``fy``, ``acceptanceDateTime``...) stop here. Facts are
flattened into columns in one pass and validated with polars expressions, so a company's
companyfacts (tens of thousands of fact versions) costs milliseconds. ``facts_batches`` and
``submissions_batches_many`` validate many companies in one pass (``_part`` numbers them), as
``fetch_many`` does: each polars expression has a fixed cost that one pass per company of a
synthetic universe (~1,800 facts each) paid a thousand times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain, repeat
from typing import Any

import numpy as np
import polars as pl

from ingestion.batch import Batch, PayloadError, Rejected
from ingestion.edgar.params import cik_to_int
from ingestion.raw_schema import EDGAR_COMPANIES, EDGAR_FACTS, EDGAR_FILINGS, EDGAR_TICKERS

SOURCE = "edgar"
_DATE = "%Y-%m-%d"
_ACCEPTED = "%Y-%m-%dT%H:%M:%S%.fZ"
_SEC_CLOCK = "America/New_York"
_FACT_FIELDS = ("start", "end", "val", "accn", "fy", "fp", "form", "filed", "frame")
_FILING_FIELDS = ("accessionNumber", "filingDate", "acceptanceDateTime", "form", "reportDate",
                  "isXBRL", "primaryDocument")
_REQUIRED_FILING_FIELDS = ("accessionNumber", "filingDate", "acceptanceDateTime", "form")


def payload_cik(payload: Mapping[str, Any], origin: str | None) -> int:
    """The payload's own ``cik`` (an int or a zero-padded string in real files) as an integer."""
    try:
        return cik_to_int(payload["cik"])
    except (KeyError, ValueError) as error:
        raise PayloadError(f"{origin}: no valid 'cik' ({error})") from None


def _in_window(column: str, start: date | None, end: date | None) -> pl.Expr:
    expr = pl.lit(True)
    if start is not None:
        expr &= pl.col(column) >= start
    if end is not None:
        expr &= pl.col(column) <= end
    return expr


def _first_failure(checks: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    """The reason of the first failing check, else null."""
    expr = pl.when(checks[0][0]).then(checks[0][1])
    for failed, reason in checks[1:]:
        expr = expr.when(failed).then(reason)
    return expr.otherwise(pl.lit(None, pl.String))


def _missing(field: str) -> pl.Expr:
    return pl.lit(f"missing field '{field}'")


def _unparsable(field: str) -> pl.Expr:
    return pl.format("unparsable date in '{}': {}", pl.lit(field), pl.col(f"_raw_{field}"))


@dataclass(frozen=True)
class FlatFacts:
    """One companyfacts body flattened (``flatten_facts``): its entries as columns."""

    cik: int
    origin: str | None
    columns: dict[str, list]  # taxonomy, concept, unit, the _FACT_FIELDS, _is_object, _is_number
    entries: list[Any]  # the raw fact entries, for the quarantine


def flatten_facts(payload: Mapping[str, Any], origin: str | None = None) -> FlatFacts:
    """Every fact entry of a companyfacts body as columns, with its taxonomy, concept and unit;
    a body whose structure is broken raises ``PayloadError``."""
    cik = payload_cik(payload, origin)
    facts = payload.get("facts", {})
    if not isinstance(facts, Mapping):
        raise PayloadError(f"{origin}: 'facts' is not an object")
    taxonomies: list[str] = []
    concepts: list[str] = []
    units: list[str] = []
    entries: list[Any] = []
    for taxonomy, by_concept in facts.items():
        if not isinstance(by_concept, Mapping):
            raise PayloadError(f"{origin}: facts[{taxonomy!r}] is not an object")
        for concept, body in by_concept.items():
            by_unit = body.get("units") if isinstance(body, Mapping) else None
            if not isinstance(by_unit, Mapping):
                raise PayloadError(f"{origin}: facts[{taxonomy!r}][{concept!r}] has no 'units'")
            for unit, versions in by_unit.items():
                if not isinstance(versions, list):
                    raise PayloadError(
                        f"{origin}: facts[{taxonomy!r}][{concept!r}][{unit!r}] is not a list")
                n = len(versions)
                taxonomies.extend(repeat(taxonomy, n))
                concepts.extend(repeat(concept, n))
                units.extend(repeat(unit, n))
                entries.extend(versions)
    dicts = [e if isinstance(e, dict) else {} for e in entries]
    columns: dict[str, list] = {"taxonomy": taxonomies, "concept": concepts, "unit": units}
    columns |= {field: [d.get(field) for d in dicts] for field in _FACT_FIELDS}
    columns["_is_object"] = [isinstance(e, dict) for e in entries]
    columns["_is_number"] = [type(v) is int or type(v) is float for v in columns["val"]]
    return FlatFacts(cik, origin, columns, entries)


def _stacked(parts: Sequence[dict[str, list]], name: str) -> list:
    """Column ``name`` of every part, end to end."""
    return list(chain.from_iterable(part[name] for part in parts))


def _part_columns(sizes: Sequence[int], ciks: Sequence[int]) -> dict[str, pl.Series]:
    """``_part`` (which company a row is from) and ``cik`` for companies of ``sizes`` rows."""
    parts = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    return {"_part": pl.Series(parts),
            "cik": pl.Series(np.asarray(ciks, dtype=np.int64)[parts] if len(sizes) else [],
                             dtype=pl.Int64)}


def _split(rows: pl.DataFrame, parts: int) -> list[pl.DataFrame]:
    """``rows`` cut by ``_part`` (0 .. parts - 1, empty frames included), without ``_part``."""
    found = rows.partition_by("_part", as_dict=True, maintain_order=True, include_key=False)
    empty = rows.drop("_part").clear()
    return [found.get((part,), empty) for part in range(parts)]


def _raw_text(frame: pl.DataFrame, values: list, where: pl.Expr) -> pl.Series:
    """The repr of ``values`` (None: null) in the rows of ``frame`` where ``where`` holds, null
    in the others."""
    text: list[str | None] = [None] * frame.height
    for i in frame.select(pl.arg_where(where.fill_null(False))).to_series().to_list():
        if values[i] is not None:
            text[i] = repr(values[i])
    return pl.Series(text, dtype=pl.String)


def facts_batch(payload: Mapping[str, Any], origin: str | None = None,
                start: date | None = None, end: date | None = None) -> Batch:
    """``edgar_facts``: every version of every fact in a companyfacts body filed in [start, end]."""
    return facts_batches([flatten_facts(payload, origin)], start, end)[0]


def facts_batches(companies: Sequence[FlatFacts], start: date | None = None,
                  end: date | None = None) -> list[Batch]:
    """``facts_batch`` of each company, validated in one vectorised pass: per company, the
    polars expressions cost more in fixed overhead (~8 ms) than in work (~1,800 facts)."""
    columns = [c.columns for c in companies]
    entries = list(chain.from_iterable(c.entries for c in companies))
    val, fy = _stacked(columns, "val"), _stacked(columns, "fy")
    is_number = _stacked(columns, "_is_number")

    def text(field: str) -> pl.Series:
        return pl.Series(_stacked(columns, field), dtype=pl.String, strict=False)

    frame = pl.DataFrame({
        **_part_columns([len(c.entries) for c in companies], [c.cik for c in companies]),
        "taxonomy": text("taxonomy"),
        "concept": text("concept"),
        "unit": text("unit"),
        "_raw_start": text("start"),
        "_raw_end": text("end"),
        "_raw_filed": text("filed"),
        "_has_val": pl.Series([v is not None for v in val], dtype=pl.Boolean),
        "value": pl.Series([v if ok else None for v, ok in zip(val, is_number, strict=True)],
                           dtype=pl.Float64, strict=False),
        "_is_number": pl.Series(is_number, dtype=pl.Boolean),
        "_is_object": pl.Series(_stacked(columns, "_is_object"), dtype=pl.Boolean),
        "accession_number": text("accn"),
        "fiscal_year": pl.Series([v if type(v) is int else None for v in fy], dtype=pl.Int64),
        "fiscal_period": text("fp"),
        "form": text("form"),
        "frame": text("frame"),
    })
    frame = frame.with_row_index("_row").with_columns(
        period_start=pl.col("_raw_start").str.to_date(_DATE, strict=False),
        period_end=pl.col("_raw_end").str.to_date(_DATE, strict=False),
        filed=pl.col("_raw_filed").str.to_date(_DATE, strict=False),
        # Only a reason shows the raw val or fy, and only where it is not a finite number or
        # not an integer: the repr of every value cost a quarter of this pass.
        _raw_val=_raw_text(frame, val, ~pl.col("_is_number") | ~pl.col("value").is_finite()),
        _raw_fy=_raw_text(frame, fy, pl.col("fiscal_year").is_null()),
    )
    key = [c for c in EDGAR_FACTS.key if c != "cik"]
    checks = [
        (~pl.col("_is_object"), pl.lit("fact is not a JSON object")),
        (pl.col("_raw_end").is_null(), _missing("end")),
        (~pl.col("_has_val"), _missing("val")),
        (pl.col("_raw_filed").is_null(), _missing("filed")),
        (pl.col("accession_number").is_null() | (pl.col("accession_number") == ""),
         _missing("accn")),
        (~pl.col("_is_number"), pl.format("non-numeric value {}", pl.col("_raw_val"))),
        (~pl.col("value").is_finite(), pl.format("non-finite value {}", pl.col("_raw_val"))),
        *((pl.col(f).is_null() & pl.col(f"_raw_{r}").is_not_null(), _unparsable(r))
          for f, r in (("period_end", "end"), ("period_start", "start"), ("filed", "filed"))),
        (pl.col("fiscal_year").is_null() & pl.col("_raw_fy").is_not_null(),
         pl.format("non-integer fiscal year {}", pl.col("_raw_fy"))),
        (pl.col("period_end") < pl.col("period_start"),
         pl.format("period end {} before start {}", pl.col("period_end"), pl.col("period_start"))),
    ]
    frame = frame.with_columns(_reason=_first_failure(checks))
    frame = frame.filter(pl.col("_reason").is_not_null() | _in_window("filed", start, end))
    frame = _reject_conflicting_duplicates(frame, key)
    rows = frame.filter(pl.col("_reason").is_null()).with_columns(
        available_at=(pl.col("filed") + pl.duration(days=1)).cast(pl.Datetime("us")),
    ).select("_part", *EDGAR_FACTS.polars_schema.names())
    rejected: list[list[Rejected]] = [[] for _ in companies]
    bad = frame.filter(pl.col("_reason").is_not_null())
    for r in bad.select("_part", "_row", "_reason", "cik", "taxonomy", "concept", "unit",
                        "accession_number", "_raw_start", "_raw_end").iter_rows(named=True):
        rejected[r["_part"]].append(Rejected(
            source=SOURCE, entity=EDGAR_FACTS.name,
            record_key="/".join(str(p) for p in (r["cik"], r["taxonomy"], r["concept"],
                                                 r["unit"], r["accession_number"],
                                                 r["_raw_start"], r["_raw_end"])),
            reason=r["_reason"],
            payload={"taxonomy": r["taxonomy"], "concept": r["concept"], "unit": r["unit"],
                     "fact": entries[r["_row"]]},
            file=companies[r["_part"]].origin,
        ))
    return [Batch(EDGAR_FACTS.name, part, part_rejected)
            for part, part_rejected in zip(_split(rows, len(companies)), rejected, strict=True)]


def _reject_conflicting_duplicates(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """Drop exact repeats of a valid record; reject later valid records that reuse its key
    (within each company: ``_part``)."""
    valid = frame.filter(pl.col("_reason").is_null())
    invalid = frame.filter(pl.col("_reason").is_not_null())
    values = [c for c in frame.columns if not c.startswith("_")]
    valid = valid.unique(subset=["_part", *values], keep="first", maintain_order=True
                         ).with_columns(
        _reason=pl.when(~pl.struct("_part", *key).is_first_distinct())
        .then(pl.lit("conflicting duplicate of the natural key " + ", ".join(key)))
    )
    return pl.concat([valid, invalid]).sort("_row")


def filing_columns(pages: Sequence[Mapping[str, Any]]) -> dict[str, list]:
    """Recent filings of the main payload and of every paging file, stacked, as ``_raw_*``
    lists plus ``_origin``; a page lacking a column raises ``PayloadError``."""
    columns: dict[str, list] = {f"_raw_{f}": [] for f in _FILING_FIELDS} | {"_origin": []}
    for page in pages:
        origin = getattr(page, "origin", None)
        recent = page["filings"]["recent"] if "filings" in page else page
        missing = [f for f in _REQUIRED_FILING_FIELDS if f not in recent]
        if missing:
            raise PayloadError(f"{origin}: filings lack column(s) {', '.join(missing)}")
        n = len(recent["accessionNumber"])
        for sec_name in _FILING_FIELDS:
            values = recent.get(sec_name, [None] * n)
            if not isinstance(values, list) or len(values) != n:
                raise PayloadError(f"{origin}: filings column {sec_name!r} does not have "
                                   f"{n} entries like 'accessionNumber'")
            columns[f"_raw_{sec_name}"] += values
        columns["_origin"] += [origin] * n
    return columns


@dataclass(frozen=True)
class Submissions:
    """One company's submissions pages with their filings as columns (``read_submissions``)."""

    cik: int
    pages: Sequence[Mapping[str, Any]]
    columns: dict[str, list]


def read_submissions(pages: Sequence[Mapping[str, Any]]) -> Submissions:
    """The company's CIK and filing columns; a broken payload raises ``PayloadError``."""
    if not pages:
        raise PayloadError("no submissions payload given")
    cik = payload_cik(pages[0], getattr(pages[0], "origin", None))
    return Submissions(cik, pages, filing_columns(pages))


def _parsed_filings(companies: Sequence[Submissions]) -> pl.DataFrame:
    """Filings with typed columns and ``_reason`` set where a row fails validation."""
    def raw(name: str) -> pl.Expr:
        return pl.col(f"_raw_{name}")

    def blank(name: str) -> pl.Expr:
        return raw(name).is_null() | (raw(name).str.strip_chars() == "")

    columns = [c.columns for c in companies]
    stacked = {f"_raw_{f}": pl.Series(_stacked(columns, f"_raw_{f}"),
                                      dtype=pl.Int64 if f == "isXBRL" else pl.String,
                                      strict=False) for f in _FILING_FIELDS}
    parsed = pl.DataFrame({
        **_part_columns([len(c["_origin"]) for c in columns], [c.cik for c in companies]),
        **stacked,
        "_origin": pl.Series(_stacked(columns, "_origin"), dtype=pl.String),
    }).with_row_index("_row").with_columns(
        accession_number=raw("accessionNumber").replace("", None),
        form=raw("form").replace("", None),
        filing_date=raw("filingDate").str.to_date(_DATE, strict=False),
        report_date=raw("reportDate").replace("", None).str.to_date(_DATE, strict=False),
        # The SEC's clock reads New York time even where the value ends in "Z" (Apple's 10-Ks
        # are "accepted" at 06:01Z, as EDGAR opens at 06:00 ET). Reading every value as New
        # York time is never early; for true-UTC filers it is up to five hours late.
        accepted_at=raw("acceptanceDateTime").str.to_datetime(_ACCEPTED, strict=False,
                                                              time_unit="us")
        .dt.replace_time_zone(_SEC_CLOCK, ambiguous="latest", non_existent="null")
        .dt.convert_time_zone("UTC").dt.replace_time_zone(None),
        is_xbrl=raw("isXBRL").replace_strict({0: False, 1: True}, default=None,
                                             return_dtype=pl.Boolean),
        primary_document=raw("primaryDocument").replace("", None),
    )
    checks = [
        *((blank(f), _missing(f)) for f in _REQUIRED_FILING_FIELDS if f != "form"),
        (pl.col("filing_date").is_null(),
         pl.format("unparsable date in 'filingDate': {}", raw("filingDate"))),
        (pl.col("accepted_at").is_null(),
         pl.format("unparsable time in 'acceptanceDateTime': {}", raw("acceptanceDateTime"))),
        (pl.col("report_date").is_null() & ~blank("reportDate"),
         pl.format("unparsable date in 'reportDate': {}", raw("reportDate"))),
    ]
    return parsed.with_columns(_reason=_first_failure(checks))


def submissions_batches(pages: Sequence[Mapping[str, Any]], start: date | None = None,
                        end: date | None = None) -> tuple[Batch, Batch]:
    """``filings_batch`` and ``companies_batch`` of the same pages, parsing the filings once."""
    (filings, company), = submissions_batches_many([read_submissions(pages)], start, end)
    return filings, company


def submissions_batches_many(companies: Sequence[Submissions], start: date | None = None,
                             end: date | None = None) -> list[tuple[Batch, Batch]]:
    """``submissions_batches`` of each company, the filings of all of them parsed in one
    vectorised pass (as ``facts_batches``)."""
    parsed = _parsed_filings(companies)
    filings = _filings_batches(companies, parsed, start, end)
    dated = dict(parsed.filter(pl.col("_reason").is_null()).group_by("_part")
                 .agg(pl.col("accepted_at").max()).iter_rows())
    return [(part_filings, _company_batch(company.pages, dated.get(part)))
            for part, (company, part_filings) in enumerate(zip(companies, filings, strict=True))]


def filings_batch(pages: Sequence[Mapping[str, Any]], start: date | None = None,
                  end: date | None = None) -> Batch:
    """``edgar_filings``: recent and paging filings of one company, filed in [start, end]."""
    return submissions_batches(pages, start, end)[0]


def _filings_batches(companies: Sequence[Submissions], parsed: pl.DataFrame,
                     start: date | None, end: date | None) -> list[Batch]:
    frame = parsed.filter(pl.col("_reason").is_not_null()
                          | _in_window("filing_date", start, end))
    frame = _reject_conflicting_duplicates(frame, ["accession_number"])
    rows = frame.filter(pl.col("_reason").is_null()).with_columns(
        available_at=pl.col("accepted_at")).select("_part", *EDGAR_FILINGS.polars_schema.names())
    raw_names = [f"_raw_{f}" for f in _FILING_FIELDS]
    rejected: list[list[Rejected]] = [[] for _ in companies]
    for r in frame.filter(pl.col("_reason").is_not_null()).iter_rows(named=True):
        rejected[r["_part"]].append(
            Rejected(source=SOURCE, entity=EDGAR_FILINGS.name,
                     record_key=f"{r['cik']}/{r['_raw_accessionNumber']}", reason=r["_reason"],
                     payload={name.removeprefix("_raw_"): r[name] for name in raw_names},
                     file=r["_origin"]))
    for company, part_rejected in zip(companies, rejected, strict=True):
        main = company.pages[0]
        part_rejected += [
            Rejected(SOURCE, EDGAR_FILINGS.name, f"{company.cik}/{name}", "missing paging file",
                     {"name": name, "error": error}, getattr(main, "origin", None))
            for name, error in getattr(main, "missing_pages", {}).items()]
    return [Batch(EDGAR_FILINGS.name, part, part_rejected)
            for part, part_rejected in zip(_split(rows, len(companies)), rejected, strict=True)]


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _joined(values: Any) -> str | None:
    if not isinstance(values, list) or not values:
        return None
    return ",".join("" if v is None else str(v) for v in values)


def companies_batch(pages: Sequence[Mapping[str, Any]]) -> Batch:
    """``edgar_companies``: the company as described by its submissions payload."""
    return submissions_batches(pages)[1]


def _company_batch(pages: Sequence[Mapping[str, Any]], available_at: Any) -> Batch:
    """``companies_batch`` of pages whose latest valid acceptance time is ``available_at``."""
    main = pages[0]
    origin = getattr(main, "origin", None)
    cik = payload_cik(main, origin)
    row = {
        "cik": cik,
        "name": _text(main.get("name")),
        "entity_type": _text(main.get("entityType")),
        "tickers": _joined(main.get("tickers")),
        "exchanges": _joined(main.get("exchanges")),
        "sic": _text(main.get("sic")),
        "sic_description": _text(main.get("sicDescription")),
        "fiscal_year_end": _text(main.get("fiscalYearEnd")),
        "state_of_incorporation": _text(main.get("stateOfIncorporation")),
        "available_at": available_at,
    }
    reason = ("missing field 'name'" if row["name"] is None else
              "no valid filing to date the company metadata" if row["available_at"] is None
              else None)
    if reason:
        payload = {k: v for k, v in main.items() if k != "filings"}
        rejected = [Rejected(SOURCE, EDGAR_COMPANIES.name, str(cik), reason, payload, origin)]
        return Batch.from_records(EDGAR_COMPANIES.name, [], rejected)
    return Batch.from_records(EDGAR_COMPANIES.name, [row])


def _tickers_by_cik(payload: Mapping[str, Any]) -> dict[int, list[tuple[str, Mapping]]]:
    """The map's entries grouped by CIK, built once per payload (a load asks per company)."""
    index = getattr(payload, "_by_cik", None)
    if index is None:
        index = {}
        for position, entry in payload.items():
            if isinstance(entry, Mapping) and str(entry.get("cik_str", "")).isdigit():
                index.setdefault(int(entry["cik_str"]), []).append((position, entry))
        if hasattr(payload, "__dict__"):
            payload._by_cik = index
    return index


def tickers_batch(payload: Mapping[str, Any] | None, cik: int) -> Batch:
    """``edgar_tickers``: the ticker map's rows for one company (none if there is no map)."""
    if payload is None:
        return Batch.from_records(EDGAR_TICKERS.name, [])
    origin = getattr(payload, "origin", None)
    recorded_at = getattr(payload, "recorded_at", None)
    rows, rejected = [], []
    for position, entry in _tickers_by_cik(payload).get(cik, []):
        ticker = _text(entry.get("ticker"))
        if ticker is None:
            rejected.append(Rejected(SOURCE, EDGAR_TICKERS.name, f"{cik}/{position}",
                                     "missing field 'ticker'", dict(entry), origin))
            continue
        rows.append({"cik": cik, "ticker": ticker, "title": _text(entry.get("title")),
                     "available_at": recorded_at})
    return Batch.from_records(EDGAR_TICKERS.name, rows, rejected)
