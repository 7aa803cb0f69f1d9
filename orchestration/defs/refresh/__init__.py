"""New filings and macro releases between the full loads: one refresh run for every source."""
