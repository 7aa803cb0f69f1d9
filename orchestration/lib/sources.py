"""Which client each source uses (replay / synthetic / live), chosen by settings."""


import importlib
from functools import cache
from types import ModuleType

from factor_mart.settings import Settings, SourceMode

SOURCES = ("edgar", "fred", "ibkr")


def adapter(source: str) -> ModuleType:
    """The ingestion package of a source (``ingestion.edgar`` ...)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    return importlib.import_module(f"ingestion.{source}")


@cache
def _universe(symbols: int, years: int, seed: int):
    from ingestion.synthetic import SyntheticUniverse

    return SyntheticUniverse(symbols=symbols, years=years, seed=seed)


def make_client(source: str, settings: Settings):
    """A client for ``source`` in the configured mode; live credentials come from settings."""
    module = adapter(source)
    mode = settings.source_mode
    if mode is SourceMode.replay:
        return module.ReplayClient(settings.replay_dir / source)
    if mode is SourceMode.synthetic:
        universe = _universe(settings.synthetic_symbols, settings.synthetic_years,
                             settings.synthetic_seed)
        return getattr(universe, f"{source}_client")()
    if source == "edgar":
        return module.LiveClient(user_agent=settings.require("sec_user_agent"),
                                 ciks=settings.edgar_ciks)
    if source == "fred":
        return module.LiveClient(api_key=settings.require("fred_api_key"),
                                 series_ids=settings.fred_series)
    # Per-symbol checkpoints let an interrupted IB history load resume where it stopped.
    return module.LiveClient(host=settings.ib_host, port=settings.ib_port,
                             client_id=settings.ib_client_id, symbols=settings.ib_symbols,
                             state_dir=str(settings.duckdb_path.parent / "ib_checkpoints"))


def source_keys(source: str, settings: Settings) -> list[str]:
    """Partition keys of a source: CIKs, series ids or symbols (live: the configured lists)."""
    return sorted(make_client(source, settings).keys())
