//! Latency samples and their percentiles.

use std::time::Duration;

use serde::Serialize;

/// Microsecond samples.
#[derive(Debug, Default, Clone)]
pub struct Samples(Vec<u64>);

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub n: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.0.push(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    pub fn summary(&self) -> Summary {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let ms = |us: u64| us as f64 / 1000.0;
        Summary {
            n: sorted.len(),
            p50_ms: ms(nearest_rank(&sorted, 0.50)),
            p99_ms: ms(nearest_rank(&sorted, 0.99)),
            max_ms: ms(sorted.last().copied().unwrap_or(0)),
        }
    }
}

/// The smallest sample with at least `p` of all samples at or below it; 0 for none.
fn nearest_rank(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut s = Samples::default();
        for ms in 1..=100 {
            s.push(Duration::from_millis(ms));
        }
        let sum = s.summary();
        assert_eq!((sum.n, sum.p50_ms, sum.p99_ms, sum.max_ms), (100, 50.0, 99.0, 100.0));
        assert_eq!(Samples::default().summary().n, 0);
    }
}
