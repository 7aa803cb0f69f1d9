"""FRED / ALFRED: series metadata and every vintage, one partition per series."""
