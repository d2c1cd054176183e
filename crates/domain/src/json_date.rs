//! Calendar dates in JSON exactly as chrono writes and reads them (`YYYY-MM-DD`), without
//! chrono's `Display` and format interpreter: chrono's `Serialize` for a `NaiveDate` goes
//! through `core::fmt` and the JSON writer's `collect_str` a few bytes at a time, and its
//! `Deserialize` through its general parser; on the measures list (issue 11's profile: a
//! measure carries its start, its deadline, the day of its latest report and its indicators'
//! target days, and the indicators are read from their stored JSON on every page) that was
//! about 7 % of the server's instructions. Years outside 0–9999, and any text but the
//! canonical form, are left to chrono: the answers, and the errors, are chrono's.
//!
//! `#[serde(serialize_with = "domain::json_date::serialize")]` on a `NaiveDate`,
//! `serialize_option` on an `Option<NaiveDate>`; `deserialize_option` on an
//! `Option<NaiveDate>` read from JSON.

use chrono::{Datelike, NaiveDate};
use serde::{Deserializer, Serializer};

/// The canonical `YYYY-MM-DD` read without chrono's parser; `None` for any other text (chrono
/// then reads it, or refuses it) and for a day that does not exist.
pub fn parse_canonical(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(ascii_number(&b[0..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, ascii_number(&b[5..7])?, ascii_number(&b[8..10])?)
}

/// The number that ASCII decimal digits (at most nine) write; `None` if any byte is not one.
pub fn ascii_number(digits: &[u8]) -> Option<u32> {
    if digits.len() > 9 {
        return None;
    }
    digits.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

/// Reads an `Option<NaiveDate>` as chrono's `Deserialize` does (`null`: `None`).
pub fn deserialize_option<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
    struct Day;
    impl<'de> serde::de::Visitor<'de> for Day {
        type Value = NaiveDate;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            // chrono's words.
            f.write_str("a formatted date string")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<NaiveDate, E> {
            match parse_canonical(text) {
                Some(day) => Ok(day),
                None => text.parse().map_err(E::custom),
            }
        }
    }
    struct MaybeDay;
    impl<'de> serde::de::Visitor<'de> for MaybeDay {
        type Value = Option<NaiveDate>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("option")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_str(Day).map(Some)
        }
    }
    deserializer.deserialize_option(MaybeDay)
}

/// Writes `d` as chrono does.
pub fn serialize<S: Serializer>(d: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    match u32::try_from(d.year()).ok().filter(|y| *y <= 9999) {
        Some(year) => {
            let mut buf = [0u8; 10];
            let digits = |value: u32, out: &mut [u8]| {
                let mut value = value;
                for b in out.iter_mut().rev() {
                    *b = b'0' + (value % 10) as u8;
                    value /= 10;
                }
            };
            digits(year, &mut buf[0..4]);
            buf[4] = b'-';
            digits(d.month(), &mut buf[5..7]);
            buf[7] = b'-';
            digits(d.day(), &mut buf[8..10]);
            serializer.serialize_str(std::str::from_utf8(&buf).unwrap_or_else(|_| unreachable!("ASCII digits and dashes")))
        }
        None => serde::Serialize::serialize(d, serializer),
    }
}

/// The same for an `Option<NaiveDate>` (`null` for `None`).
pub fn serialize_option<S: Serializer>(d: &Option<NaiveDate>, serializer: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => serialize(d, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ours(NaiveDate);
    impl serde::Serialize for Ours {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(&self.0, s)
        }
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        let mut days: Vec<NaiveDate> = Vec::new();
        // Every day of a few centuries, the edges of the fast path and beyond them.
        let mut d = NaiveDate::from_ymd_opt(1890, 1, 1).unwrap();
        while d.year() < 2200 {
            days.push(d);
            d = d.succ_opt().unwrap();
        }
        for (y, m, dd) in [(0, 1, 1), (9, 9, 9), (999, 12, 31), (9999, 12, 31), (10_000, 1, 1), (-1, 6, 15), (-9999, 1, 1)] {
            days.push(NaiveDate::from_ymd_opt(y, m, dd).unwrap());
        }
        for day in days {
            assert_eq!(serde_json::to_string(&Ours(day)).unwrap(), serde_json::to_string(&day).unwrap(), "{day:?}");
            let text = day.to_string();
            assert_eq!(parse_canonical(&text), (0..=9999).contains(&day.year()).then_some(day), "{text}");
        }
        let none: Option<NaiveDate> = None;
        struct OursOpt(Option<NaiveDate>);
        impl serde::Serialize for OursOpt {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serialize_option(&self.0, s)
            }
        }
        assert_eq!(serde_json::to_string(&OursOpt(none)).unwrap(), "null");
        // Read back as chrono reads it, and what chrono refuses refused with chrono's words.
        #[derive(serde::Deserialize)]
        struct Read(#[serde(deserialize_with = "deserialize_option")] Option<NaiveDate>);
        for text in [
            "\"2027-03-31\"",
            "\"0000-01-01\"",
            "\"9999-12-31\"",
            "\"2024-02-29\"",
            "\"2026-02-30\"",
            "\"2026-13-01\"",
            "\"2026-00-10\"",
            "\"2026-1-5\"",
            "\"+12026-01-05\"",
            "\"20261201\"",
            "\" 2026-12-01\"",
            "\"2026-12-01 \"",
            "\"2026-12-1x\"",
            "\"\"",
            "null",
            "7",
            "[]",
        ] {
            let ours = serde_json::from_str::<Read>(text).map(|r| r.0).map_err(|e| e.to_string());
            let chrono = serde_json::from_str::<Option<NaiveDate>>(text).map_err(|e| e.to_string());
            assert_eq!(ours, chrono, "{text}");
        }
        // A field that may be left out, as the indicators' `target_date` is.
        #[derive(serde::Deserialize, Debug, PartialEq)]
        #[serde(deny_unknown_fields)]
        struct Ours2 {
            #[serde(default, deserialize_with = "deserialize_option")]
            day: Option<NaiveDate>,
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        #[serde(deny_unknown_fields)]
        struct Chrono2 {
            #[serde(default)]
            day: Option<NaiveDate>,
        }
        for text in ["{}", r#"{"day":null}"#, r#"{"day":"2026-01-02"}"#, r#"{"day":"2026-02-30"}"#, r#"{"day":1}"#, r#"{"other":1}"#] {
            let ours = serde_json::from_str::<Ours2>(text).map(|r| r.day).map_err(|e| e.to_string());
            let chrono = serde_json::from_str::<Chrono2>(text).map(|r| r.day).map_err(|e| e.to_string());
            assert_eq!(ours, chrono, "{text}");
        }
        assert_eq!(serde_json::to_string(&OursOpt(NaiveDate::from_ymd_opt(2027, 3, 31))).unwrap(), "\"2027-03-31\"");
    }
}
