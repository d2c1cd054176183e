//! Timestamps in JSON exactly as chrono writes them (RFC 3339 in UTC, `Z`, the fraction in 0,
//! 3, 6 or 9 digits), without chrono's formatting machinery: chrono's `Serialize` goes through
//! `core::fmt` and serde_json's escaping writer a few bytes at a time, which was a tenth of a
//! list's serialization (issue 11's profile; every resource carries three timestamps). Values
//! outside the common range (years before 0 or after 9999, leap seconds) are left to chrono.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serializer;

/// `#[serde(serialize_with = "crate::timestamp::serialize")]` for a `DateTime<Utc>`.
pub fn serialize<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    match write(t, &mut buf) {
        Some(len) => serializer.serialize_str(std::str::from_utf8(&buf[..len]).unwrap_or_else(|_| unreachable!("ASCII digits and separators"))),
        None => serde::Serialize::serialize(t, serializer),
    }
}

/// The same for an `Option<DateTime<Utc>>` (`null` for `None`).
pub fn serialize_option<S: Serializer>(t: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize(t, serializer),
        None => serializer.serialize_none(),
    }
}

/// Writes `t` into `buf`, returning the length; `None` where chrono must write it.
fn write(t: &DateTime<Utc>, buf: &mut [u8; 30]) -> Option<usize> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    // `value` in `width` decimal digits at `pos`.
    let put = |pos: usize, value: u32, width: usize, buf: &mut [u8; 30]| {
        let mut value = value;
        for i in (0..width).rev() {
            buf[pos + i] = b'0' + u8::try_from(value % 10).unwrap_or_else(|_| unreachable!("a digit"));
            value /= 10;
        }
    };
    put(0, year, 4, buf);
    buf[4] = b'-';
    put(5, t.month(), 2, buf);
    buf[7] = b'-';
    put(8, t.day(), 2, buf);
    buf[10] = b'T';
    put(11, t.hour(), 2, buf);
    buf[13] = b':';
    put(14, t.minute(), 2, buf);
    buf[16] = b':';
    put(17, t.second(), 2, buf);
    let mut len = 19;
    // chrono's `SecondsFormat::AutoSi`: the shortest of none, milli-, micro- or nanoseconds.
    let (fraction, width) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if width > 0 {
        buf[len] = b'.';
        put(len + 1, fraction, width, buf);
        len += 1 + width;
    }
    buf[len] = b'Z';
    Some(len + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(t: &DateTime<Utc>) -> String {
        serde_json::to_string(&Wrapper(*t)).unwrap()
    }

    struct Wrapper(DateTime<Utc>);
    impl serde::Serialize for Wrapper {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(&self.0, s)
        }
    }

    #[test]
    fn timestamps_are_written_as_chrono_writes_them() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut cases: Vec<DateTime<Utc>> =
            ["2026-12-02T09:28:11.677793Z", "2026-01-01T00:00:00Z", "0001-02-03T04:05:06.007Z", "9999-12-31T23:59:59.999999999Z"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect();
        for _ in 0..20_000 {
            let secs = i64::try_from(next() % 253_402_300_800).unwrap();
            let nanos = u32::try_from(next() % 1_000_000_000).unwrap();
            // Each precision chrono distinguishes: whole seconds, milli-, micro-, nanoseconds.
            let nanos = [0, nanos / 1_000_000 * 1_000_000, nanos / 1_000 * 1_000, nanos][usize::try_from(next() % 4).unwrap()];
            cases.push(DateTime::from_timestamp(secs, nanos).unwrap());
        }
        // Outside the fast path: chrono writes them.
        for year in [10_000, -1] {
            cases.push(chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc());
        }
        for t in &cases {
            assert_eq!(ours(t), serde_json::to_string(t).unwrap(), "{t:?}");
        }
    }
}
