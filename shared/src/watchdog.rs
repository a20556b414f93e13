//! When a client sends again and when it gives up on a socket. Acknowledgements normally
//! come within milliseconds; a message still unacknowledged after [`RESEND_AFTER_MS`] is sent
//! again on the same socket (its id makes a second copy harmless: the server stores each id
//! once and acknowledges it again), and a socket that has carried nothing at all for
//! [`SILENT_AFTER_MS`] while a message waits is replaced, as a socket can stay open at both
//! ends while nothing passes through it.

/// Unacknowledged this long: send again.
pub const RESEND_AFTER_MS: f64 = 3_000.0;
/// Nothing heard this long while a message waits: a new socket.
pub const SILENT_AFTER_MS: f64 = 10_000.0;
/// Nothing heard this long and nothing waiting: a ping (`protocol::PING`), then waited for
/// like a message, so a socket that only reads is replaced when it has gone silent too.
pub const PING_AFTER_MS: f64 = 30_000.0;

/// Whether to ask a quiet socket if it is still there.
pub fn should_ping(now: f64, waiting: Option<(f64, f64)>, heard_at: f64) -> bool {
    waiting.is_none() && now - heard_at >= PING_AFTER_MS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Fine,
    Resend,
    Replace,
}

/// `waiting`: when the oldest unacknowledged message was first and last sent (`None` when
/// none waits); `heard_at`: when the socket last carried a frame in (or opened).
pub fn verdict(now: f64, waiting: Option<(f64, f64)>, heard_at: f64) -> Verdict {
    let Some((first_sent, last_sent)) = waiting else { return Verdict::Fine };
    if now - heard_at.max(first_sent) >= SILENT_AFTER_MS {
        Verdict::Replace
    } else if now - last_sent >= RESEND_AFTER_MS {
        Verdict::Resend
    } else {
        Verdict::Fine
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_socket_is_pinged_only_when_nothing_waits() {
        assert!(!should_ping(20_000.0, None, 0.0));
        assert!(should_ping(30_000.0, None, 0.0));
        assert!(!should_ping(30_000.0, Some((25_000.0, 25_000.0)), 0.0), "a message is the test");
    }

    #[test]
    fn nothing_waiting_is_fine_however_quiet() {
        assert_eq!(verdict(100_000.0, None, 0.0), Verdict::Fine);
    }

    #[test]
    fn a_late_ack_means_resend_then_a_silent_socket_is_replaced() {
        assert_eq!(verdict(1_000.0, Some((0.0, 0.0)), 900.0), Verdict::Fine);
        assert_eq!(verdict(3_500.0, Some((0.0, 0.0)), 3_400.0), Verdict::Resend);
        assert_eq!(verdict(5_000.0, Some((0.0, 3_500.0)), 3_400.0), Verdict::Fine, "just resent");
        assert_eq!(verdict(10_000.0, Some((0.0, 6_500.0)), 500.0), Verdict::Resend);
        assert_eq!(verdict(10_600.0, Some((0.0, 10_000.0)), 500.0), Verdict::Replace);
    }

    #[test]
    fn a_message_on_a_quiet_but_healthy_socket_gets_its_own_time() {
        // Nothing heard for a minute (no traffic), then a message: resend first, replace only
        // when it too went unanswered for the whole silence.
        assert_eq!(verdict(63_500.0, Some((60_000.0, 60_000.0)), 0.0), Verdict::Resend);
        assert_eq!(verdict(70_000.0, Some((60_000.0, 66_000.0)), 0.0), Verdict::Replace);
    }
}
