"""Factor evaluation: labels, ICs, quantile returns, stability, redundancy. The polars functions
state each statistic; `evaluate` computes them all with the compiled engine (dense, kernel)."""

from factor_models.evaluation.dense import Labels
from factor_models.evaluation.ic import by_sector, decay, ic_series, ic_summary, join_labels
from factor_models.evaluation.labels import HORIZONS, forward_returns
from factor_models.evaluation.quantiles import (
    assign_quantiles,
    quantile_returns,
    quantile_summary,
    spread,
)
from factor_models.evaluation.redundancy import redundancy_clusters, redundancy_matrix
from factor_models.evaluation.report import Evaluation, evaluate, leaderboard
from factor_models.evaluation.stability import coverage, rank_autocorrelation, turnover

__all__ = [
    "HORIZONS", "Evaluation", "Labels", "assign_quantiles", "by_sector", "coverage", "decay",
    "evaluate",
    "forward_returns", "ic_series", "ic_summary", "join_labels", "leaderboard",
    "quantile_returns", "quantile_summary", "rank_autocorrelation", "redundancy_clusters",
    "redundancy_matrix", "spread", "turnover",
]
