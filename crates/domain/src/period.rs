//! Rules about dates and periods.

use chrono::NaiveDate;

use crate::FieldError;

/// An end date, when given, may not come before its start.
pub fn ensure_ordered(start: Option<NaiveDate>, end: Option<NaiveDate>, end_field: &str, start_field: &str) -> Result<(), FieldError> {
    match (start, end) {
        (Some(start), Some(end)) if end < start => {
            Err(FieldError::new(end_field, "before_start", format!("{end_field} ({end}) is before {start_field} ({start})")))
        }
        _ => Ok(()),
    }
}

/// A decision or event date (an approval, a submission, a counselling session, an evaluation's
/// `as_of`) records what happened: it may not lie after `today` (422 `in_future`).
pub fn not_in_future(date: NaiveDate, today: NaiveDate, field: &str) -> Result<(), FieldError> {
    if date > today {
        Err(FieldError::new(field, "in_future", format!("{field} ({date}) lies in the future; record a step on or after the day it was taken")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_dates_are_not_in_the_future() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1);
        for (date, ok) in [("2026-11-30", true), ("2026-12-01", true), ("2026-12-02", false), ("2030-05-20", false)] {
            let result = not_in_future(d(date).unwrap_or_default(), today.unwrap_or_default(), "date");
            assert_eq!(result.is_ok(), ok, "{date}");
            if let Err(e) = result {
                assert_eq!((e.field.as_str(), e.code.as_str()), ("date", "in_future"));
            }
        }
    }

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn end_before_start_is_refused() {
        assert!(ensure_ordered(d("2024-01-02"), d("2024-01-01"), "left_on", "joined_on").is_err());
        assert!(ensure_ordered(d("2024-01-01"), d("2024-01-01"), "left_on", "joined_on").is_ok());
        assert!(ensure_ordered(None, d("2024-01-01"), "left_on", "joined_on").is_ok());
        assert!(ensure_ordered(d("2024-01-01"), None, "left_on", "joined_on").is_ok());
    }
}
