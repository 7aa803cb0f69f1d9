"""Interactive Brokers daily bars, one partition per trading day."""
