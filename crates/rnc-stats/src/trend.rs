//! Trends of rates over calendar years: the estimated annual percent change
//! (EAPC) of a log-linear fit, and segmented (joinpoint) log-linear trends
//! with the annual percent change (APC) of each segment and the average
//! annual percent change (AAPC) over a period.
//!
//! All fits are ordinary least squares of ln(rate) on the year, unweighted.

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::rates::{check_confidence, standard_normal_quantile};
use crate::{Error, ErrorKind};

/// A log-linear slope and its annual percent change with an interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Slope b of ln(rate) per year.
    pub slope: f64,
    /// Standard error of the slope.
    pub std_err: f64,
    /// Annual percent change 100 (e^b − 1).
    pub percent_change: f64,
    /// Lower confidence limit of the percent change.
    pub lower: f64,
    /// Upper confidence limit of the percent change.
    pub upper: f64,
}

impl Trend {
    fn new(slope: f64, std_err: f64, quantile: f64) -> Trend {
        let percent = |b: f64| 100.0 * (b.exp() - 1.0);
        Trend {
            slope,
            std_err,
            percent_change: percent(slope),
            lower: percent(slope - quantile * std_err),
            upper: percent(slope + quantile * std_err),
        }
    }
}

/// Computes the EAPC of `rates` over `years` with its interval: OLS of
/// ln(rate) on year, EAPC = 100 (e^b − 1), limits 100 (e^(b ± z SE(b)) − 1)
/// with the normal quantile z, as Rcan's `csu_eapc` (Rcan uses z, not t).
///
/// # Errors
///
/// [`ErrorKind::InvalidTrend`] for fewer than 3 points, different lengths,
/// repeated years or a rate that is not positive and finite;
/// [`ErrorKind::InvalidConfidence`].
pub fn annual_percent_change(
    years: &[f64],
    rates: &[f64],
    confidence: f64,
) -> Result<Trend, Error> {
    check_confidence(confidence)?;
    let log_rates = check_series("annual percent change", years, rates)?;
    let fit = fit_segments(years, &log_rates, &[]).ok_or_else(|| {
        invalid("annual percent change", "the years do not vary".into())
    })?;
    let z = standard_normal_quantile(1.0 - (1.0 - confidence) / 2.0)?;
    let std_err = (fit.residual_variance * fit.covariance[1][1]).sqrt();
    Ok(Trend::new(fit.coefficients[1], std_err, z))
}

/// Settings of [`joinpoint_regression`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JoinpointOptions {
    /// Largest number of joinpoints tried.
    pub max_joinpoints: usize,
    /// Minimum number of points between a joinpoint and either end of the
    /// series, not counting the joinpoint.
    pub min_points_to_end: usize,
    /// Minimum number of points between two joinpoints, not counting them.
    pub min_points_between: usize,
    /// Confidence level of every interval.
    pub confidence: f64,
}

impl Default for JoinpointOptions {
    fn default() -> JoinpointOptions {
        JoinpointOptions {
            max_joinpoints: 3,
            min_points_to_end: 2,
            min_points_between: 2,
            confidence: 0.95,
        }
    }
}

/// One segment of a joinpoint fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// First year of the segment (the first year, or a joinpoint).
    pub start: f64,
    /// Last year of the segment (a joinpoint, or the last year).
    pub end: f64,
    /// Slope and APC of the segment.
    pub trend: Trend,
}

/// A segmented log-linear fit chosen by the Bayesian information criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinpointFit {
    /// Years where the slope changes, in order.
    pub joinpoints: Vec<f64>,
    /// Segments between the ends and the joinpoints.
    pub segments: Vec<Segment>,
    /// BIC of the best fit for 0, 1, … joinpoints (`None` where no
    /// placement was allowed); the fit kept has the smallest.
    pub bic: Vec<Option<f64>>,
    /// Residual sum of squares on the log scale.
    pub residual_sum_of_squares: f64,
    years: Vec<f64>,
    coefficients: Vec<f64>,
    covariance: Vec<Vec<f64>>,
    residual_variance: f64,
    quantile: f64,
}

/// Fits segmented log-linear trends to `rates` over `years` and keeps the
/// number of joinpoints with the smallest BIC.
///
/// For k joinpoints τ_1 < … < τ_k, the model is continuous: ln(rate) = b_0 +
/// b_1 x + Σ δ_m (x − τ_m)_+, fitted by OLS. Joinpoints are searched over
/// the observed years (a grid search over every allowed placement), within
/// the point limits of `options`, as in the joinpoint model of Kim et al.
/// (2000). The number of joinpoints is selected by BIC(k)
/// = ln(SSE_k / n) + (2k + 2) ln(n) / n, which counts each joinpoint's
/// location and slope change as parameters (the permutation test that
/// Joinpoint also offers is not implemented). Intervals are conditional on
/// the joinpoints chosen:
/// σ² = SSE / (n − k − 2) and Student's t with n − k − 2 degrees of freedom.
///
/// # Errors
///
/// The errors of [`annual_percent_change`], and
/// [`ErrorKind::InvalidTrend`] when no model with enough degrees of freedom
/// exists.
pub fn joinpoint_regression(
    years: &[f64],
    rates: &[f64],
    options: &JoinpointOptions,
) -> Result<JoinpointFit, Error> {
    check_confidence(options.confidence)?;
    let log_rates = check_series("joinpoint regression", years, rates)?;
    let mut order: Vec<usize> = (0..years.len()).collect();
    order.sort_by(|&a, &b| years[a].total_cmp(&years[b]));
    let x: Vec<f64> = order.iter().map(|&i| years[i]).collect();
    let y: Vec<f64> = order.iter().map(|&i| log_rates[i]).collect();
    let n = x.len();

    let mut best: Option<(f64, Vec<usize>, LeastSquares)> = None;
    let mut bic = Vec::new();
    for k in 0..=options.max_joinpoints {
        if n <= k + 2 {
            bic.push(None);
            continue;
        }
        let mut best_k: Option<(f64, Vec<usize>, LeastSquares)> = None;
        for placement in placements(n, k, options) {
            let knots: Vec<f64> = placement.iter().map(|&i| x[i]).collect();
            if let Some(fit) = fit_segments(&x, &y, &knots)
                && best_k.as_ref().is_none_or(|(sse, _, _)| fit.sse < *sse)
            {
                best_k = Some((fit.sse, placement, fit));
            }
        }
        let Some((sse, placement, fit)) = best_k else {
            bic.push(None);
            continue;
        };
        let n_f = n as f64;
        let criterion = (sse.max(f64::MIN_POSITIVE) / n_f).ln()
            + (2.0 * k as f64 + 2.0) * n_f.ln() / n_f;
        bic.push(Some(criterion));
        if best.as_ref().is_none_or(|(value, _, _)| criterion < *value) {
            best = Some((criterion, placement, fit));
        }
    }
    let Some((_, placement, fit)) = best else {
        return Err(invalid(
            "joinpoint regression",
            format!("{n} points are too few for any model"),
        ));
    };

    let joinpoints: Vec<f64> = placement.iter().map(|&i| x[i]).collect();
    let degrees = (n - joinpoints.len() - 2) as f64;
    let quantile =
        student_quantile(1.0 - (1.0 - options.confidence) / 2.0, degrees)?;
    let mut result = JoinpointFit {
        joinpoints: joinpoints.clone(),
        segments: Vec::new(),
        bic,
        residual_sum_of_squares: fit.sse,
        years: x.clone(),
        coefficients: fit.coefficients.clone(),
        covariance: fit.covariance.clone(),
        residual_variance: fit.residual_variance,
        quantile,
    };
    let mut bounds = vec![x[0]];
    bounds.extend(&joinpoints);
    bounds.push(x[n - 1]);
    for (index, pair) in bounds.windows(2).enumerate() {
        let combination = segment_combination(index, joinpoints.len());
        result.segments.push(Segment {
            start: pair[0],
            end: pair[1],
            trend: result.trend_of(&combination),
        });
    }
    Ok(result)
}

impl JoinpointFit {
    /// Returns the fitted rate at `year`: the exponential of the fitted
    /// segmented line on the log scale, for drawing the trend. Outside the
    /// years fitted the end segments are extended.
    pub fn fitted_rate(&self, year: f64) -> f64 {
        let centre = self.years.iter().sum::<f64>() / self.years.len() as f64;
        let mut log_rate =
            self.coefficients[0] + self.coefficients[1] * (year - centre);
        for (delta, joinpoint) in
            self.coefficients[2..].iter().zip(&self.joinpoints)
        {
            log_rate += delta * (year - joinpoint).max(0.0);
        }
        log_rate.exp()
    }

    /// Computes the average annual percent change from `from` to `to`
    /// (years inside the fitted range): AAPC = 100 (exp(Σ l_s b_s / Σ l_s)
    /// − 1), with l_s the length of segment s inside the period (Clegg et
    /// al. 2009, Stat Med 28:3670), and its interval from the covariance of
    /// the slopes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTrend`] unless `from < to` within the years fitted.
    pub fn average_annual_percent_change(
        &self,
        from: f64,
        to: f64,
    ) -> Result<Trend, Error> {
        let (first, last) = (self.years[0], self.years[self.years.len() - 1]);
        if !(from < to && from >= first && to <= last) {
            return Err(invalid(
                "average annual percent change",
                format!(
                    "period {from} to {to} is not inside the years fitted ({first} to {last})"
                ),
            ));
        }
        let mut combination = vec![0.0; self.coefficients.len()];
        for (index, segment) in self.segments.iter().enumerate() {
            let length =
                (segment.end.min(to) - segment.start.max(from)).max(0.0);
            let weight = length / (to - from);
            for (total, part) in combination
                .iter_mut()
                .zip(segment_combination(index, self.joinpoints.len()))
            {
                *total += weight * part;
            }
        }
        Ok(self.trend_of(&combination))
    }

    /// Computes the trend of the slope c'β from the fit's covariance.
    fn trend_of(&self, combination: &[f64]) -> Trend {
        let slope: f64 = combination
            .iter()
            .zip(&self.coefficients)
            .map(|(c, b)| c * b)
            .sum();
        let mut variance = 0.0;
        for (i, ci) in combination.iter().enumerate() {
            for (j, cj) in combination.iter().enumerate() {
                variance += ci * cj * self.covariance[i][j];
            }
        }
        Trend::new(
            slope,
            (variance * self.residual_variance).sqrt(),
            self.quantile,
        )
    }
}

/// Coefficients c with slope of segment `index` = c'β, where β = (b_0, b_1,
/// δ_1, …, δ_k).
fn segment_combination(index: usize, joinpoints: usize) -> Vec<f64> {
    let mut combination = vec![0.0; joinpoints + 2];
    combination[1] = 1.0;
    for delta in combination.iter_mut().skip(2).take(index) {
        *delta = 1.0;
    }
    combination
}

/// Lists every allowed set of `k` joinpoint indices into `n` sorted points.
fn placements(
    n: usize,
    k: usize,
    options: &JoinpointOptions,
) -> Vec<Vec<usize>> {
    let mut all = Vec::new();
    let mut current = Vec::new();
    fn extend(
        n: usize,
        k: usize,
        options: &JoinpointOptions,
        current: &mut Vec<usize>,
        all: &mut Vec<Vec<usize>>,
    ) {
        if current.len() == k {
            if current
                .last()
                .is_none_or(|&last| n - 1 - last > options.min_points_to_end)
            {
                all.push(current.clone());
            }
            return;
        }
        let first = match current.last() {
            None => options.min_points_to_end + 1,
            Some(&last) => last + options.min_points_between + 1,
        };
        for index in first..n.saturating_sub(options.min_points_to_end + 1) {
            current.push(index);
            extend(n, k, options, current, all);
            current.pop();
        }
    }
    extend(n, k, options, &mut current, &mut all);
    all
}

/// An OLS fit with its unscaled covariance (X'X)⁻¹.
#[derive(Debug, Clone)]
struct LeastSquares {
    coefficients: Vec<f64>,
    covariance: Vec<Vec<f64>>,
    sse: f64,
    residual_variance: f64,
}

/// Fits ln(rate) = b_0 + b_1 x + Σ δ_m (x − τ_m)_+ by OLS; `None` when the
/// design is singular or leaves no degree of freedom. The year is centred
/// on its mean for numerical stability, which changes b_0 only.
fn fit_segments(x: &[f64], y: &[f64], knots: &[f64]) -> Option<LeastSquares> {
    let n = x.len();
    let p = knots.len() + 2;
    if n <= p {
        return None;
    }
    let centre = x.iter().sum::<f64>() / n as f64;
    let row = |xi: f64| -> Vec<f64> {
        let mut row = vec![1.0, xi - centre];
        row.extend(knots.iter().map(|&knot| (xi - knot).max(0.0)));
        row
    };

    let mut normal = vec![vec![0.0; p]; p];
    let mut right = vec![0.0; p];
    for (&xi, &yi) in x.iter().zip(y) {
        let r = row(xi);
        for i in 0..p {
            right[i] += r[i] * yi;
            for j in 0..p {
                normal[i][j] += r[i] * r[j];
            }
        }
    }

    let covariance = invert(normal)?;
    let coefficients: Vec<f64> = (0..p)
        .map(|i| (0..p).map(|j| covariance[i][j] * right[j]).sum())
        .collect();
    let sse: f64 = x
        .iter()
        .zip(y)
        .map(|(&xi, &yi)| {
            let fitted: f64 =
                row(xi).iter().zip(&coefficients).map(|(a, b)| a * b).sum();
            (yi - fitted).powi(2)
        })
        .sum();

    Some(LeastSquares {
        coefficients,
        covariance,
        sse,
        residual_variance: sse / (n - p) as f64,
    })
}

/// Inverts a small symmetric matrix by Gauss-Jordan elimination with
/// partial pivoting; `None` when it is singular.
fn invert(mut matrix: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let p = matrix.len();
    let scale = matrix.iter().flatten().fold(0.0_f64, |m, v| m.max(v.abs()));
    let mut inverse: Vec<Vec<f64>> = (0..p)
        .map(|i| (0..p).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for column in 0..p {
        let pivot = (column..p).max_by(|&a, &b| {
            matrix[a][column].abs().total_cmp(&matrix[b][column].abs())
        })?;
        if matrix[pivot][column].abs() <= 1e-12 * scale {
            return None;
        }
        matrix.swap(column, pivot);
        inverse.swap(column, pivot);
        let divisor = matrix[column][column];
        for j in 0..p {
            matrix[column][j] /= divisor;
            inverse[column][j] /= divisor;
        }
        for row in 0..p {
            if row != column {
                let factor = matrix[row][column];
                for j in 0..p {
                    matrix[row][j] -= factor * matrix[column][j];
                    inverse[row][j] -= factor * inverse[column][j];
                }
            }
        }
    }
    Some(inverse)
}

fn check_series(
    what: &'static str,
    years: &[f64],
    rates: &[f64],
) -> Result<Vec<f64>, Error> {
    if years.len() != rates.len() {
        return Err(invalid(
            what,
            format!(
                "{} years but {} rates; give one rate per year",
                years.len(),
                rates.len()
            ),
        ));
    }
    if years.len() < 3 {
        return Err(invalid(
            what,
            format!("{} points; give at least 3 years", years.len()),
        ));
    }
    let mut sorted = years.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.windows(2).any(|pair| pair[0] == pair[1])
        || sorted.iter().any(|year| !year.is_finite())
    {
        return Err(invalid(
            what,
            "years repeat or are not finite; give one rate per distinct year"
                .into(),
        ));
    }
    rates
        .iter()
        .zip(years)
        .map(|(&rate, &year)| {
            if rate > 0.0 && rate.is_finite() {
                Ok(rate.ln())
            } else {
                Err(invalid(what, format!("year {year}: rate {rate} is not positive, so its log is undefined")))
            }
        })
        .collect()
}

fn student_quantile(p: f64, degrees: f64) -> Result<f64, Error> {
    let distribution = StudentsT::new(0.0, 1.0, degrees).map_err(|error| {
        ErrorKind::Internal(format!(
            "Student t with {degrees} degrees of freedom: {error}"
        ))
    })?;
    Ok(distribution.inverse_cdf(p))
}

fn invalid(what: &'static str, message: String) -> Error {
    ErrorKind::InvalidTrend { what, message }.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements_respect_limits() {
        // 10 points, 2 to each end, 2 between: one joinpoint may sit at
        // indices 3 to 6.
        let options = JoinpointOptions::default();
        let one: Vec<usize> = placements(10, 1, &options)
            .into_iter()
            .map(|p| p[0])
            .collect();
        assert_eq!(one, vec![3, 4, 5, 6]);
        let two = placements(10, 2, &options);
        assert_eq!(two, vec![vec![3, 6]]);
        assert!(placements(10, 3, &options).is_empty());
    }

    #[test]
    fn invert_two_by_two() {
        let inverse = invert(vec![vec![4.0, 7.0], vec![2.0, 6.0]]).unwrap();
        let expected = [[0.6, -0.7], [-0.2, 0.4]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inverse[i][j] - expected[i][j]).abs() < 1e-12);
            }
        }
        assert!(invert(vec![vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
    }
}
