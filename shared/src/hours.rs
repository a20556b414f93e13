//! Business hours: a weekly schedule in the team's IANA time zone. Pure: the caller brings the
//! time, so tests walk across daylight-saving changes without waiting for them.

use chrono::{Datelike, NaiveTime, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::protocol::Millis;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    pub enabled: bool,
    /// An IANA name such as `Europe/Berlin`.
    pub time_zone: String,
    /// Opening intervals; a day may have several, or none (closed).
    pub weekly: Vec<Opening>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// `mon`, `tue`, … `sun`.
    pub day: String,
    /// Local wall-clock times, `HH:MM`, start before end.
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoursError {
    UnknownTimeZone(String),
    BadDay(String),
    BadTime(String),
    EmptyInterval { day: String },
}

impl std::fmt::Display for HoursError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HoursError::UnknownTimeZone(z) => write!(f, "\"{z}\" is not an IANA time zone."),
            HoursError::BadDay(d) => write!(f, "\"{d}\" is not a day; use mon, tue, … sun."),
            HoursError::BadTime(t) => write!(f, "\"{t}\" is not a time; use HH:MM."),
            HoursError::EmptyInterval { day } => {
                write!(f, "On {day} the opening must start before it ends.")
            }
        }
    }
}

fn weekday(day: &str) -> Result<Weekday, HoursError> {
    match day {
        "mon" => Ok(Weekday::Mon),
        "tue" => Ok(Weekday::Tue),
        "wed" => Ok(Weekday::Wed),
        "thu" => Ok(Weekday::Thu),
        "fri" => Ok(Weekday::Fri),
        "sat" => Ok(Weekday::Sat),
        "sun" => Ok(Weekday::Sun),
        other => Err(HoursError::BadDay(other.to_owned())),
    }
}

fn time(t: &str) -> Result<NaiveTime, HoursError> {
    NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| HoursError::BadTime(t.to_owned()))
}

/// An opening's end; `None` for `24:00`, the end of the day.
fn end(t: &str) -> Result<Option<NaiveTime>, HoursError> {
    if t == "24:00" { Ok(None) } else { time(t).map(Some) }
}

impl Opening {
    fn parse(&self) -> Result<(Weekday, NaiveTime, Option<NaiveTime>), HoursError> {
        let (day, start, end) = (weekday(&self.day)?, time(&self.start)?, end(&self.end)?);
        if end.is_some_and(|e| start >= e) {
            return Err(HoursError::EmptyInterval { day: self.day.clone() });
        }
        Ok((day, start, end))
    }
}

impl BusinessHours {
    /// Checks every field; what `is_open` relies on.
    pub fn validate(&self) -> Result<(), HoursError> {
        self.zone()?;
        self.weekly.iter().try_for_each(|o| o.parse().map(|_| ()))
    }

    fn zone(&self) -> Result<Tz, HoursError> {
        self.time_zone
            .parse::<Tz>()
            .map_err(|_| HoursError::UnknownTimeZone(self.time_zone.clone()))
    }

    /// Whether a person is expected to be around at `now`. Always open when disabled.
    pub fn is_open(&self, now: Millis) -> Result<bool, HoursError> {
        if !self.enabled {
            return Ok(true);
        }
        let zone = self.zone()?;
        let Some(local) = zone.timestamp_millis_opt(now).single() else { return Ok(false) };
        let clock = NaiveTime::from_hms_opt(local.hour(), local.minute(), local.second())
            .unwrap_or_default();
        for o in &self.weekly {
            let (day, start, end) = o.parse()?;
            if day == local.weekday() && start <= clock && end.is_none_or(|e| clock < e) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// When the next opening begins, if the schedule is closed at `now`: what "We're back …"
    /// tells a visitor. `None` while open, when disabled, or with no opening in the week.
    pub fn next_opening(&self, now: Millis) -> Result<Option<Millis>, HoursError> {
        if self.is_open(now)? {
            return Ok(None);
        }
        let zone = self.zone()?;
        let Some(local) = zone.timestamp_millis_opt(now).single() else { return Ok(None) };
        let openings = self.weekly.iter().map(Opening::parse).collect::<Result<Vec<_>, _>>()?;
        // Eight days: today's later openings, then every weekday once, then today's again.
        // Each local start may be two instants (the autumn's repeated hour) or none (the
        // spring's gap, moved to its first real minute); only those open in fact count.
        let mut soonest: Option<Millis> = None;
        for ahead in 0..=7 {
            let Some(date) = local.date_naive().checked_add_days(chrono::Days::new(ahead)) else {
                continue;
            };
            for (_, start, _) in openings.iter().filter(|(day, ..)| *day == date.weekday()) {
                for at in starts_at(&zone, date.and_time(*start)) {
                    if at > now && soonest.is_none_or(|s| at < s) && self.is_open(at)? {
                        soonest = Some(at);
                    }
                }
            }
        }
        Ok(soonest)
    }
}

/// The instants a local wall-clock time names: two in the autumn's repeated hour, one
/// otherwise; in the spring's gap, the first real minute after it.
fn starts_at(zone: &Tz, local: chrono::NaiveDateTime) -> Vec<Millis> {
    (0..=120)
        .find_map(|minutes| {
            let shifted = local + chrono::Duration::minutes(minutes);
            match zone.from_local_datetime(&shifted) {
                chrono::LocalResult::Single(t) => Some(vec![t.timestamp_millis()]),
                chrono::LocalResult::Ambiguous(a, b) => {
                    Some(vec![a.timestamp_millis(), b.timestamp_millis()])
                }
                chrono::LocalResult::None => None,
            }
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekdays(zone: &str, start: &str, end: &str) -> BusinessHours {
        BusinessHours {
            enabled: true,
            time_zone: zone.into(),
            weekly: ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| Opening { day: (*d).into(), start: start.into(), end: end.into() })
                .collect(),
        }
    }

    /// Milliseconds of a UTC wall-clock time.
    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> Millis {
        chrono::Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp_millis()
    }

    #[test]
    fn opening_follows_berlin_across_the_spring_change() {
        let h = weekdays("Europe/Berlin", "09:00", "17:00");
        // Friday 27 March 2026, still CET (UTC+1): 08:30 local is closed, 09:30 open.
        assert!(!h.is_open(utc(2026, 3, 27, 7, 30)).unwrap());
        assert!(h.is_open(utc(2026, 3, 27, 8, 30)).unwrap());
        // Monday 30 March 2026, now CEST (UTC+2): the same 07:30 UTC is 09:30 local, open.
        assert!(h.is_open(utc(2026, 3, 30, 7, 30)).unwrap());
        // 15:30 UTC is 17:30 local: closed.
        assert!(!h.is_open(utc(2026, 3, 30, 15, 30)).unwrap());
    }

    #[test]
    fn opening_follows_new_york_across_the_autumn_change() {
        let h = weekdays("America/New_York", "09:00", "17:00");
        // Friday 30 October 2026, EDT (UTC-4): 13:30 UTC is 09:30, open; 12:30 UTC closed.
        assert!(h.is_open(utc(2026, 10, 30, 13, 30)).unwrap());
        assert!(!h.is_open(utc(2026, 10, 30, 12, 30)).unwrap());
        // Monday 2 November 2026, EST (UTC-5): 13:30 UTC is 08:30, closed; 14:30 open.
        assert!(!h.is_open(utc(2026, 11, 2, 13, 30)).unwrap());
        assert!(h.is_open(utc(2026, 11, 2, 14, 30)).unwrap());
    }

    #[test]
    fn weekends_split_days_and_disabled_schedules() {
        let mut h = weekdays("Asia/Tokyo", "09:00", "12:00");
        h.weekly.push(Opening { day: "mon".into(), start: "13:00".into(), end: "18:00".into() });
        // Monday 2 November 2026 in Tokyo (UTC+9): 12:30 lunch closed, 13:30 open.
        assert!(!h.is_open(utc(2026, 11, 2, 3, 30)).unwrap());
        assert!(h.is_open(utc(2026, 11, 2, 4, 30)).unwrap());
        // Saturday: closed all day.
        assert!(!h.is_open(utc(2026, 11, 7, 1, 0)).unwrap());
        h.enabled = false;
        assert!(h.is_open(utc(2026, 11, 7, 1, 0)).unwrap());
    }

    #[test]
    fn the_next_opening_is_found_across_weekends_and_zones() {
        let h = weekdays("Europe/Berlin", "09:00", "17:00");
        // Friday 27 March 2026 18:00 CET: back Monday 30 March 09:00 CEST (07:00 UTC).
        assert_eq!(h.next_opening(utc(2026, 3, 27, 17, 0)).unwrap(), Some(utc(2026, 3, 30, 7, 0)));
        // Tuesday 31 March 06:00 CEST: back the same day at 09:00.
        assert_eq!(h.next_opening(utc(2026, 3, 31, 4, 0)).unwrap(), Some(utc(2026, 3, 31, 7, 0)));
        // Open now: nothing to announce.
        assert_eq!(h.next_opening(utc(2026, 3, 31, 8, 0)).unwrap(), None);
        let mut split = weekdays("Asia/Tokyo", "09:00", "12:00");
        split.weekly.push(Opening {
            day: "mon".into(),
            start: "13:00".into(),
            end: "18:00".into(),
        });
        // Monday 2 November 2026 12:30 in Tokyo: back at 13:00 the same day (04:00 UTC).
        assert_eq!(
            split.next_opening(utc(2026, 11, 2, 3, 30)).unwrap(),
            Some(utc(2026, 11, 2, 4, 0))
        );
        let never = BusinessHours { enabled: true, time_zone: "UTC".into(), weekly: vec![] };
        assert_eq!(never.next_opening(utc(2026, 11, 2, 3, 30)).unwrap(), None);
        let disabled = BusinessHours { enabled: false, ..never };
        assert_eq!(disabled.next_opening(utc(2026, 11, 2, 3, 30)).unwrap(), None);
    }

    #[test]
    fn an_opening_in_the_spring_gap_starts_at_the_first_real_minute() {
        // Sunday 29 March 2026 in Berlin: 02:00–03:00 does not exist.
        let h = BusinessHours {
            enabled: true,
            time_zone: "Europe/Berlin".into(),
            weekly: vec![Opening { day: "sun".into(), start: "02:30".into(), end: "05:00".into() }],
        };
        // Saturday 28 March 23:00 UTC (midnight CET): back at 03:00 CEST, 01:00 UTC.
        assert_eq!(h.next_opening(utc(2026, 3, 28, 23, 0)).unwrap(), Some(utc(2026, 3, 29, 1, 0)));
    }

    #[test]
    fn the_autumns_repeated_hour_and_a_gap_with_no_real_opening() {
        // Sunday 25 October 2026 in Berlin: 02:00–03:00 happens twice (CEST, then CET).
        let h = BusinessHours {
            enabled: true,
            time_zone: "Europe/Berlin".into(),
            weekly: vec![Opening { day: "sun".into(), start: "02:30".into(), end: "02:45".into() }],
        };
        // 02:50 CEST (00:50 UTC): the first 02:30 has passed, the repeated one (01:30 UTC)
        // is still ahead.
        assert_eq!(
            h.next_opening(utc(2026, 10, 25, 0, 50)).unwrap(),
            Some(utc(2026, 10, 25, 1, 30))
        );
        // An opening wholly inside the spring gap never opens that day: the next is a week on.
        let gap = BusinessHours {
            enabled: true,
            time_zone: "Europe/Berlin".into(),
            weekly: vec![Opening { day: "sun".into(), start: "02:10".into(), end: "02:40".into() }],
        };
        // Saturday 28 March 2026 23:00 UTC: not 03:00 CEST the next morning (closed then),
        // but Sunday 5 April 02:10 CEST (00:10 UTC).
        assert_eq!(
            gap.next_opening(utc(2026, 3, 28, 23, 0)).unwrap(),
            Some(utc(2026, 4, 5, 0, 10))
        );
    }

    #[test]
    fn bad_schedules_are_refused_clearly() {
        let mut h = weekdays("Mars/Olympus", "09:00", "17:00");
        assert_eq!(h.validate(), Err(HoursError::UnknownTimeZone("Mars/Olympus".into())));
        h.time_zone = "UTC".into();
        h.weekly[0].end = "08:00".into();
        assert_eq!(h.validate(), Err(HoursError::EmptyInterval { day: "mon".into() }));
        h.weekly[0].end = "25:00".into();
        assert_eq!(h.validate(), Err(HoursError::BadTime("25:00".into())));
        h.weekly[0].end = "17:00".into();
        h.weekly[0].day = "monday".into();
        assert!(matches!(h.validate(), Err(HoursError::BadDay(_))));
        assert!(HoursError::BadDay("x".into()).to_string().contains("mon, tue"));
        h.weekly[0].day = "mon".into();
        h.weekly[0].start = "00:00".into();
        h.weekly[0].end = "24:00".into();
        assert_eq!(h.validate(), Ok(()));
        // Monday 2 November 2026, one second before midnight UTC: still open.
        assert!(h.is_open(utc(2026, 11, 2, 23, 59) + 59_000).unwrap());
    }
}
