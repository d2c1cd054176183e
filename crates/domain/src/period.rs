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

#[cfg(test)]
mod tests {
    use super::*;

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
