//! Monitoring rules stated once: which report is a measure's latest as of a day, when a
//! measure is overdue on a day, which plans count when asking whether a need is addressed,
//! and the warnings a measure carries (never errors).
//!
//! Monitoring follows a measure's `measure_key`, shared by the measure and its copies in later
//! versions of its plan: a report posted on any version counts for every version.
//! The SQL filters of `GET /measures` (`status`, `overdue`, `as_of`) implement
//! [`latest_as_of`] and [`overdue_on`] in the database; a black-box test holds them together.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::codelist::{Coded, PlanStatus, ProgressStatus, ThematicArea};

/// Statuses after which a measure is no longer overdue.
pub const FINISHED: [ProgressStatus; 2] = [ProgressStatus::Completed, ProgressStatus::Cancelled];

/// What the "latest report" rule needs to know of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFact {
    pub id: Uuid,
    pub reported_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub status: ProgressStatus,
    pub percent_done: i32,
}

/// The latest report as of `as_of`: of the reports dated on or before the day, the one with
/// the latest `reported_on`; on the same day the one recorded last (`created_at`, then `id`).
/// Reports dated after the day do not exist yet for a view as of that day.
pub fn latest_as_of<'a>(reports: impl IntoIterator<Item = &'a ReportFact>, as_of: NaiveDate) -> Option<&'a ReportFact> {
    reports.into_iter().filter(|r| r.reported_on <= as_of).max_by(|a, b| (a.reported_on, a.created_at, a.id).cmp(&(b.reported_on, b.created_at, b.id)))
}

/// Overdue on a day: the deadline lies before the day and the latest status as of the day is
/// neither completed nor cancelled (never reported counts as not finished).
pub fn overdue_on(deadline: Option<NaiveDate>, latest_status: Option<ProgressStatus>, as_of: NaiveDate) -> bool {
    deadline.is_some_and(|d| d < as_of) && !latest_status.is_some_and(|s| FINISHED.contains(&s))
}

/// Whether a plan's measures count when asking which needs are addressed: the plan in force
/// and the versions being prepared (draft, submitted, council-approved); superseded and expired
/// versions are history. Archived plans never count (the caller filters them).
pub fn addresses_needs(status: PlanStatus) -> bool {
    matches!(status, PlanStatus::InForce | PlanStatus::Draft | PlanStatus::Submitted | PlanStatus::CouncilApproved)
}

/// A remark on a measure that is worth a look but is not an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasureWarning {
    /// `thematic_area_differs_from_needs`.
    pub code: String,
    pub message: String,
}

/// The warnings of a measure: its thematic area differs from the areas of all of the needs it
/// answers (a measure with no needs, or whose needs are not found, has none).
pub fn measure_warnings(area: ThematicArea, need_areas: &[ThematicArea]) -> Vec<MeasureWarning> {
    let mut out = Vec::new();
    if !need_areas.is_empty() && !need_areas.contains(&area) {
        let mut theirs: Vec<&str> = need_areas.iter().map(|a| a.code()).collect();
        theirs.sort_unstable();
        theirs.dedup();
        out.push(MeasureWarning {
            code: "thematic_area_differs_from_needs".into(),
            message: format!("the measure's thematic area `{}` is none of its needs' areas ({})", area.code(), theirs.join(", ")),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProgressStatus as S;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn r(n: u128, on: &str, secs: i64, status: ProgressStatus) -> ReportFact {
        ReportFact { id: Uuid::from_u128(n), reported_on: d(on), created_at: DateTime::from_timestamp(secs, 0).unwrap(), status, percent_done: 10 }
    }

    #[test]
    fn the_latest_report_is_the_last_dated_on_or_before_the_day() {
        let reports = [
            r(1, "2025-06-01", 10, S::InProgress),
            r(2, "2026-05-01", 5, S::Completed),
            r(3, "2025-06-01", 20, S::Delayed),
            r(4, "2025-06-01", 20, S::NotStarted),
        ];
        // Table: day → expected report id (None: nothing reported yet).
        for (day, expected) in [("2025-05-31", None), ("2025-06-01", Some(4)), ("2025-11-01", Some(4)), ("2026-05-01", Some(2)), ("2030-01-01", Some(2))] {
            assert_eq!(latest_as_of(&reports, d(day)).map(|x| x.id.as_u128()), expected, "{day}");
        }
        assert_eq!(latest_as_of(&[], d("2025-01-01")), None);
    }

    #[test]
    fn overdue_on_a_day() {
        let cases = [
            // deadline, latest status, day, overdue
            (Some("2025-06-30"), None, "2025-07-01", true),
            (Some("2025-06-30"), None, "2025-06-30", false),
            (Some("2025-06-30"), Some(S::InProgress), "2025-11-01", true),
            (Some("2025-06-30"), Some(S::Delayed), "2025-11-01", true),
            (Some("2025-06-30"), Some(S::NotStarted), "2025-11-01", true),
            (Some("2025-06-30"), Some(S::Completed), "2025-11-01", false),
            (Some("2025-06-30"), Some(S::Cancelled), "2025-11-01", false),
            (None, None, "2025-11-01", false),
        ];
        for (deadline, status, day, expected) in cases {
            assert_eq!(overdue_on(deadline.map(d), status, d(day)), expected, "{deadline:?} {status:?} {day}");
        }
    }

    #[test]
    fn a_report_after_the_day_does_not_finish_a_measure_on_the_day() {
        let reports = [r(1, "2025-06-01", 1, S::InProgress), r(2, "2026-05-01", 2, S::Completed)];
        let as_of = d("2025-11-01");
        let latest = latest_as_of(&reports, as_of).map(|x| x.status);
        assert_eq!(latest, Some(S::InProgress));
        assert!(overdue_on(Some(d("2025-09-30")), latest, as_of));
        assert!(!overdue_on(Some(d("2025-09-30")), latest_as_of(&reports, d("2026-06-01")).map(|x| x.status), d("2026-06-01")));
    }

    #[test]
    fn which_plans_address_needs() {
        for s in PlanStatus::ALL {
            let expected = !matches!(s, PlanStatus::Superseded | PlanStatus::Expired);
            assert_eq!(addresses_needs(*s), expected, "{s:?}");
        }
    }

    #[test]
    fn thematic_area_warnings() {
        use ThematicArea as A;
        assert!(measure_warnings(A::Debt, &[]).is_empty());
        assert!(measure_warnings(A::Debt, &[A::Debt]).is_empty());
        assert!(measure_warnings(A::Debt, &[A::Housing, A::Debt]).is_empty());
        let w = measure_warnings(A::Debt, &[A::Housing, A::Housing]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, "thematic_area_differs_from_needs");
        assert!(w[0].message.contains("housing"), "{}", w[0].message);
    }
}
