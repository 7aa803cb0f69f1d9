"""Factor evaluation: labels, ICs, quantile returns, redundancy, charts, checks and schedule."""
