# R survey peer of benchmarks/bench_measure.py: FGT0-2 and Gini with linearized SEs by district.
# Usage: Rscript benchmarks/measure_peer.R households.csv out.csv
# Same definitions as entas: person weight W = weight * household_size, FGT as the W-weighted mean (svymean,
# a ratio estimator), domains on the full design (svyby), strata x PSUs with replacement. R survey has no
# Gini (convey is not installed): its influence values (Langel and Tille 2013) are computed per district with
# data.table and their total estimated by svytotal; that step is timed with the rest.
suppressPackageStartupMessages({library(survey); library(data.table)})
args <- commandArgs(trailingOnly = TRUE)
t_read <- system.time(d <- fread(args[1]))[["elapsed"]]
d[, pw := weight * household_size]
d[, poor := as.numeric(consumption_pc_rp_month < poverty_line_rp)]
d[, headcount_ratio := poor]
d[, poverty_gap := poor * (1 - consumption_pc_rp_month / poverty_line_rp)]
d[, poverty_severity := poverty_gap^2]
t_fgt <- system.time({
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~pw, data = d, nest = TRUE)
  fgt <- svyby(~headcount_ratio + poverty_gap + poverty_severity, ~district, des, svymean)
})[["elapsed"]]
t_gini <- system.time({
  setorder(d, district, consumption_pc_rp_month)
  d[, `:=`(c = cumsum(pw), cy = cumsum(pw * consumption_pc_rp_month)), by = district]
  d[, `:=`(n_ = sum(pw), b_ = sum(pw * consumption_pc_rp_month)), by = district]
  d[, g := 2 * sum(consumption_pc_rp_month * pw * (c - pw / 2)) / (n_[1] * b_[1]) - 1, by = district]
  d[, u := (2 * (c * consumption_pc_rp_month - cy) + b_ - n_ * consumption_pc_rp_month -
              g * (b_ + n_ * consumption_pc_rp_month)) / (n_ * b_)]
  des2 <- svydesign(ids = ~psu, strata = ~stratum, weights = ~pw, data = d, nest = TRUE)
  gini <- svyby(~u, ~district, des2, svytotal)
})[["elapsed"]]
ms <- c("headcount_ratio", "poverty_gap", "poverty_severity")
out <- rbindlist(c(
  lapply(ms, function(m) data.table(area = fgt$district, measure = m, estimate = fgt[[m]],
                                    se = fgt[[paste0("se.", m)]])),
  list(data.table(area = gini$district, measure = "gini",
                  estimate = d[, .(g = g[1]), by = district][match(gini$district, district), g], se = gini$se))))
fwrite(out, args[2])
cat(sprintf('{"read_s": %.3f, "fgt_s": %.3f, "gini_s": %.3f, "compute_s": %.3f}\n', t_read, t_fgt, t_gini,
            t_fgt + t_gini))
