//! How long a visitor who asks for a person should expect to wait: the owner's "usually
//! replies in", else what the team's recent claims took. Pure: the site brings the waits.

use crate::protocol::Millis;

/// Recent claims looked at; older ones say little about today's team.
pub const RECENT_CLAIMS: usize = 20;
/// Fewer claims than this are too few to promise anything from.
pub const MIN_CLAIMS: usize = 3;
/// Claims older than this are not counted.
pub const WINDOW_MS: Millis = 14 * 24 * 3600 * 1000;

/// Seconds to tell the visitor, if anything can honestly be said: the owner's figure when
/// set, else the median of the recent waits (the newest [`RECENT_CLAIMS`]), rounded up to a
/// whole minute so that a promise is kept more often than not.
pub fn expected_secs(usual_secs: u32, recent_waits: &[Millis]) -> Option<u32> {
    if usual_secs > 0 {
        return Some(usual_secs);
    }
    let mut waits: Vec<Millis> =
        recent_waits.iter().copied().filter(|w| *w >= 0).take(RECENT_CLAIMS).collect();
    if waits.len() < MIN_CLAIMS {
        return None;
    }
    waits.sort_unstable();
    let median = waits[waits.len() / 2];
    let minutes = (median + 59_999) / 60_000;
    u32::try_from(minutes.max(1) * 60).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Millis = 60_000;

    #[test]
    fn the_owners_figure_wins() {
        assert_eq!(expected_secs(300, &[MIN, MIN, MIN]), Some(300));
        assert_eq!(expected_secs(300, &[]), Some(300));
    }

    #[test]
    fn too_few_claims_promise_nothing() {
        assert_eq!(expected_secs(0, &[]), None);
        assert_eq!(expected_secs(0, &[MIN, 2 * MIN]), None);
    }

    #[test]
    fn the_median_rounds_up_to_a_whole_minute() {
        // One slow claim does not set the figure; 2 min 10 s is told as 3 minutes.
        assert_eq!(expected_secs(0, &[130_000, 40 * MIN, 20_000, 140_000, 125_000]), Some(180));
        // Quick claims are still "about a minute", never zero.
        assert_eq!(expected_secs(0, &[5_000, 8_000, 1_000]), Some(60));
    }

    #[test]
    fn only_the_newest_claims_count() {
        let mut waits = vec![MIN; RECENT_CLAIMS];
        waits.extend([60 * MIN; 30]);
        assert_eq!(expected_secs(0, &waits), Some(60));
        // Negative waits (a clock step) are ignored, not trusted.
        assert_eq!(expected_secs(0, &[-5, -5, -5, MIN]), None);
    }
}
