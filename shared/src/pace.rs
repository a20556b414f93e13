//! The pace a site object asks of the conversations that report to it.
//!
//! Cloudflare documents a soft limit of about 1,000 requests a second per Durable Object,
//! past which calls fail as overloaded. Every active conversation reports to its site, so a
//! site with thousands of busy conversations would reach it if each reported every second.
//! The site therefore answers every report with the pace it wants: message-only reports no
//! more often than `reporters × 1000 / REPORT_BUDGET` ms each (never under a second), where
//! `reporters` are the conversations that reported in the last minute. Changes of state (a
//! request for a person, a claim, an end) are not paced: they are what agents act on, and
//! they are rare beside messages.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::protocol::Millis;

/// Reports a second the site aims at, all conversations together: a tenth of the soft limit,
/// leaving the rest to sign-ins, settings, session checks and bursts of state changes. Each
/// report also costs the conversation that sends it a request and an outbox write; at 200 a
/// second they were most of the CPU of 500 busy conversations (ARCHITECTURE.md, "A big site").
pub const REPORT_BUDGET: u64 = 100;
/// The shortest pace: how often, at most, a conversation reports new messages alone to the
/// site's index; a small site's inbox previews lag by about this much, never the
/// conversation itself.
pub const MIN_PACE_MS: Millis = 1000;
/// A conversation counts as reporting while its last report is this recent.
pub const REPORTER_WINDOW_MS: Millis = 60_000;

/// What the site answers to a batch of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pace {
    /// Send message-only reports no more often than this.
    pub pace_ms: Millis,
}

/// The conversations that reported lately.
#[derive(Debug, Default)]
pub struct Reporters {
    last: HashMap<String, Millis>,
    pruned_at: Millis,
}

impl Reporters {
    /// Notes a report from `conversation` at `now`; returns the pace to ask of it.
    pub fn reported(&mut self, conversation: &str, now: Millis) -> Pace {
        if let Some(at) = self.last.get_mut(conversation) {
            *at = now;
        } else {
            self.last.insert(conversation.to_owned(), now);
        }
        // Pruned at most once a second: a scan per report would cost more than the report.
        if now - self.pruned_at > 1000 {
            self.last.retain(|_, at| now - *at < REPORTER_WINDOW_MS);
            self.pruned_at = now;
        }
        self.pace()
    }

    pub fn len(&self) -> usize {
        self.last.len()
    }

    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }

    pub fn pace_ms(&self) -> Millis {
        pace_for(self.last.len())
    }

    pub fn pace(&self) -> Pace {
        Pace { pace_ms: self.pace_ms() }
    }
}

/// The wait before a conversation's next message-only report: `pace_ms` spread over half to
/// one and a half of itself by `unit` (uniform in `[0, 1)`), never under [`MIN_PACE_MS`]
/// (also before the site has named a pace).
/// Conversations that began together would otherwise keep reporting together: 500 started
/// within two seconds sent each pace's reports in one burst of about a second, and every
/// socket of every object waited behind it (locally they share one thread). On average the
/// pace holds.
pub fn spread(pace_ms: Millis, unit: f64) -> Millis {
    let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.5 };
    let spread = (pace_ms as f64 * (0.5 + unit)).round() as Millis;
    spread.max(MIN_PACE_MS)
}

/// The pace that keeps `reporters` conversations, each reporting once per pace, within the
/// budget.
pub fn pace_for(reporters: usize) -> Millis {
    let spread = reporters as u64 * 1000 / REPORT_BUDGET;
    Millis::try_from(spread).unwrap_or(Millis::MAX).max(MIN_PACE_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_pace_keeps_its_mean_and_stays_over_the_floor() {
        assert_eq!(spread(5000, 0.0), 2500);
        assert_eq!(spread(5000, 0.5), 5000);
        assert_eq!(spread(5000, 0.999_999), 7500);
        // A small site's pace is the floor: never sooner than it.
        assert_eq!(spread(1000, 0.0), 1000);
        // Whatever the source of randomness gives.
        assert_eq!(spread(5000, f64::NAN), 5000);
        assert_eq!(spread(5000, 7.0), 7500);
        let n = 10_000;
        let mean = (0..n).map(|i| spread(5000, i as f64 / n as f64)).sum::<Millis>() / n;
        assert!((mean - 5000).abs() <= 1, "{mean}");
    }

    #[test]
    fn the_pace_keeps_any_number_of_reporters_within_the_budget() {
        assert_eq!(pace_for(0), MIN_PACE_MS);
        assert_eq!(pace_for(100), MIN_PACE_MS);
        assert_eq!(pace_for(2_000), 20_000);
        assert_eq!(pace_for(10_000), 100_000);
        for n in [1, 150, 999, 10_000, 100_000] {
            let per_second = n as f64 * 1000.0 / pace_for(n) as f64;
            assert!(per_second <= REPORT_BUDGET as f64, "{n} reporters: {per_second}/s");
        }
    }

    #[test]
    fn reporters_age_out_of_the_count() {
        let mut r = Reporters::default();
        for i in 0..400 {
            r.reported(&format!("c{i}"), 5_000);
        }
        assert_eq!(r.pace_ms(), 4_000);
        let pace = r.reported("c0", 5_000 + REPORTER_WINDOW_MS + 1);
        assert_eq!(pace.pace_ms, MIN_PACE_MS, "only c0 reported in the last minute");
    }
}
