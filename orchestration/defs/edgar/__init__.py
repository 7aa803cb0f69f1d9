"""SEC EDGAR: companyfacts and submissions, one partition per company (CIK)."""
