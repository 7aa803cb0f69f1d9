"""Transform: EDGAR payloads into raw-table batches; records failing validation become Rejected.

The SEC's field names (``accn``, ``fy``, ``acceptanceDateTime``...) stop here. Facts are
flattened into columns in one pass and validated with polars expressions, so a company's
companyfacts (tens of thousands of fact versions) costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from itertools import repeat
from typing import Any

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


def _flatten_facts(facts: Any, origin: str | None) -> tuple[dict[str, list], list[Any]]:
    """Every fact entry as columns, with its taxonomy, concept and unit; plus the raw entries."""
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
    return columns, entries


def facts_batch(payload: Mapping[str, Any], origin: str | None = None,
                start: date | None = None, end: date | None = None) -> Batch:
    """``edgar_facts``: every version of every fact in a companyfacts body filed in [start, end]."""
    cik = payload_cik(payload, origin)
    columns, entries = _flatten_facts(payload.get("facts", {}), origin)
    val, fy = columns["val"], columns["fy"]

    def text(field: str) -> pl.Series:
        return pl.Series(columns[field], dtype=pl.String, strict=False)

    frame = pl.DataFrame({
        "taxonomy": text("taxonomy"),
        "concept": text("concept"),
        "unit": text("unit"),
        "_raw_start": text("start"),
        "_raw_end": text("end"),
        "_raw_filed": text("filed"),
        "_raw_val": pl.Series([None if v is None else repr(v) for v in val], dtype=pl.String),
        "value": pl.Series([v if ok else None for v, ok in zip(val, columns["_is_number"],
                                                                strict=True)],
                           dtype=pl.Float64, strict=False),
        "_is_number": pl.Series(columns["_is_number"], dtype=pl.Boolean),
        "_is_object": pl.Series(columns["_is_object"], dtype=pl.Boolean),
        "accession_number": text("accn"),
        "_raw_fy": pl.Series([None if v is None else repr(v) for v in fy], dtype=pl.String),
        "fiscal_year": pl.Series([v if type(v) is int else None for v in fy], dtype=pl.Int64),
        "fiscal_period": text("fp"),
        "form": text("form"),
        "frame": text("frame"),
    }).with_row_index("_row").with_columns(
        period_start=pl.col("_raw_start").str.to_date(_DATE, strict=False),
        period_end=pl.col("_raw_end").str.to_date(_DATE, strict=False),
        filed=pl.col("_raw_filed").str.to_date(_DATE, strict=False),
    )
    key = [c for c in EDGAR_FACTS.key if c != "cik"]
    checks = [
        (~pl.col("_is_object"), pl.lit("fact is not a JSON object")),
        *((pl.col(f"_raw_{f}").is_null(), _missing(f)) for f in ("end", "val", "filed")),
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
        cik=pl.lit(cik, pl.Int64),
        available_at=(pl.col("filed") + pl.duration(days=1)).cast(pl.Datetime("us")),
    )
    bad = frame.filter(pl.col("_reason").is_not_null())
    rejected = [
        Rejected(
            source=SOURCE, entity=EDGAR_FACTS.name,
            record_key="/".join(str(p) for p in (cik, r["taxonomy"], r["concept"], r["unit"],
                                                 r["accession_number"], r["_raw_start"],
                                                 r["_raw_end"])),
            reason=r["_reason"],
            payload={"taxonomy": r["taxonomy"], "concept": r["concept"], "unit": r["unit"],
                     "fact": entries[r["_row"]]},
            file=origin,
        )
        for r in bad.select("_row", "_reason", "taxonomy", "concept", "unit",
                            "accession_number", "_raw_start", "_raw_end").iter_rows(named=True)
    ]
    return Batch(EDGAR_FACTS.name, rows.select(EDGAR_FACTS.polars_schema.names()), rejected)


def _reject_conflicting_duplicates(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """Drop exact repeats of a valid record; reject later valid records that reuse its key."""
    valid = frame.filter(pl.col("_reason").is_null())
    invalid = frame.filter(pl.col("_reason").is_not_null())
    values = [c for c in frame.columns if not c.startswith("_")]
    valid = valid.unique(subset=values, keep="first", maintain_order=True).with_columns(
        _reason=pl.when(~pl.struct(key).is_first_distinct())
        .then(pl.lit("conflicting duplicate of the natural key " + ", ".join(key)))
    )
    return pl.concat([valid, invalid]).sort("_row")


def _filing_columns(pages: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """Recent filings of the main payload and of every paging file, stacked, as ``_raw_*``."""
    parts = []
    for page in pages:
        origin = getattr(page, "origin", None)
        columns = page["filings"]["recent"] if "filings" in page else page
        missing = [f for f in _REQUIRED_FILING_FIELDS if f not in columns]
        if missing:
            raise PayloadError(f"{origin}: filings lack column(s) {', '.join(missing)}")
        n = len(columns["accessionNumber"])
        part: dict[str, pl.Series] = {}
        for sec_name in _FILING_FIELDS:
            values = columns.get(sec_name, [None] * n)
            if not isinstance(values, list) or len(values) != n:
                raise PayloadError(f"{origin}: filings column {sec_name!r} does not have "
                                   f"{n} entries like 'accessionNumber'")
            dtype = pl.Int64 if sec_name == "isXBRL" else pl.String
            part[f"_raw_{sec_name}"] = pl.Series(values, dtype=dtype, strict=False)
        part["_origin"] = pl.Series([origin] * n, dtype=pl.String)
        parts.append(pl.DataFrame(part))
    if not parts:
        raise PayloadError("no submissions payload given")
    return pl.concat(parts).with_row_index("_row")


def _parsed_filings(pages: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """Filings with typed columns and ``_reason`` set where a row fails validation."""
    def raw(name: str) -> pl.Expr:
        return pl.col(f"_raw_{name}")

    def blank(name: str) -> pl.Expr:
        return raw(name).is_null() | (raw(name).str.strip_chars() == "")

    parsed = _filing_columns(pages).with_columns(
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
    parsed = _parsed_filings(pages)
    return filings_batch(pages, start, end, parsed), companies_batch(pages, parsed)


def filings_batch(pages: Sequence[Mapping[str, Any]], start: date | None = None,
                  end: date | None = None, parsed: pl.DataFrame | None = None) -> Batch:
    """``edgar_filings``: recent and paging filings of one company, filed in [start, end]."""
    cik = payload_cik(pages[0], getattr(pages[0], "origin", None))
    frame = _parsed_filings(pages) if parsed is None else parsed
    frame = frame.filter(pl.col("_reason").is_not_null()
                         | _in_window("filing_date", start, end))
    frame = _reject_conflicting_duplicates(frame, ["accession_number"])
    rows = frame.filter(pl.col("_reason").is_null()).with_columns(
        cik=pl.lit(cik, pl.Int64), available_at=pl.col("accepted_at"))
    raw_names = [f"_raw_{f}" for f in _FILING_FIELDS]
    rejected = [
        Rejected(source=SOURCE, entity=EDGAR_FILINGS.name,
                 record_key=f"{cik}/{r['_raw_accessionNumber']}", reason=r["_reason"],
                 payload={name.removeprefix("_raw_"): r[name] for name in raw_names},
                 file=r["_origin"])
        for r in frame.filter(pl.col("_reason").is_not_null()).iter_rows(named=True)
    ] + [
        Rejected(SOURCE, EDGAR_FILINGS.name, f"{cik}/{name}", "missing paging file",
                 {"name": name, "error": error}, getattr(pages[0], "origin", None))
        for name, error in getattr(pages[0], "missing_pages", {}).items()
    ]
    return Batch(EDGAR_FILINGS.name, rows.select(EDGAR_FILINGS.polars_schema.names()), rejected)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _joined(values: Any) -> str | None:
    if not isinstance(values, list) or not values:
        return None
    return ",".join("" if v is None else str(v) for v in values)


def companies_batch(pages: Sequence[Mapping[str, Any]], parsed: pl.DataFrame | None = None
                    ) -> Batch:
    """``edgar_companies``: the company as described by its submissions payload."""
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
        "available_at": (_parsed_filings(pages) if parsed is None else parsed)
        .filter(pl.col("_reason").is_null())["accepted_at"].max(),
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
