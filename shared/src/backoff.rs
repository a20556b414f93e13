//! How long a client waits before reconnecting. Exponential backoff with full jitter: after an
//! outage, thousands of visitors reconnecting must not arrive at the same instant, and missed
//! items are resynced on reconnect anyway, so waiting costs nothing but latency.

/// The wait in milliseconds before reconnect attempt `attempt` (1 for the first retry), given
/// `unit` drawn uniformly from [0, 1): the caller brings the randomness.
pub fn delay_ms(attempt: u32, unit: f64) -> u32 {
    const BASE_MS: f64 = 500.0;
    const CAP_MS: f64 = 30_000.0;
    const FLOOR_MS: f64 = 250.0;
    let ceiling = (BASE_MS * 2f64.powi(attempt.min(16) as i32)).min(CAP_MS);
    (unit.clamp(0.0, 1.0) * ceiling).max(FLOOR_MS) as u32
}

#[cfg(test)]
mod tests {
    use super::delay_ms;

    #[test]
    fn grows_then_caps_and_never_hammers() {
        assert_eq!(delay_ms(1, 0.999_999), 999);
        assert_eq!(delay_ms(3, 0.5), 2000);
        assert_eq!(delay_ms(30, 0.999_999), 29_999);
        assert_eq!(delay_ms(1, 0.0), 250, "a floor even with no jitter");
        assert_eq!(delay_ms(2, 7.0), 2000, "out-of-range randomness is clamped");
    }
}
