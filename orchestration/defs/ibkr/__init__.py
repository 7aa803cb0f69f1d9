"""Interactive Brokers daily bars, one partition per month (the
current month's is rematerialized after each close)."""
