//! Indicator values per reporting period (IATI-style): the rules for recording a value (the
//! period ordered and past, not overlapping another period of the same indicator, a value
//! that fits the indicator's measure), corrections (the same period again replaces the value,
//! the old one is kept as history), and the actual value as of a day under the indicator's
//! declared aggregation.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::codelist::{IndicatorAggregation, IndicatorMeasure};
use crate::error::Violations;
use crate::plan::Indicator;
use crate::{DomainError, FieldError};

impl Default for IndicatorAggregation {
    /// Data written before aggregations were declared: the latest value stands for the total.
    fn default() -> Self {
        Self::Cumulative
    }
}

/// A reporting period, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// Two periods overlap when they share at least one day.
    pub fn overlaps(&self, other: &Period) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

/// A value being recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewValue {
    pub period: Period,
    pub value: Option<f64>,
    pub text: Option<String>,
}

/// A value already recorded and still current (not superseded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordedPeriod {
    pub id: Uuid,
    pub period: Period,
}

/// What recording a value does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    /// A period not reported before.
    New,
    /// A correction of the same period: the value with this id becomes history.
    Replaces(Uuid),
}

/// Checks a new value of `indicator` against the current values of the same indicator, as of
/// `today`: 422 for a period whose start is after its end (`period_end` `before_start`), that
/// ends in the future (`period_end` `in_future`), that overlaps another reported period
/// without being the same (`period_start` `overlapping_period`), and for a value that does not
/// fit the indicator's measure (`value` `required` / `out_of_range`, `text` `required`).
pub fn record(indicator: &Indicator, new: &NewValue, current: &[RecordedPeriod], today: NaiveDate) -> Result<Recording, DomainError> {
    let mut v = Violations::new();
    let p = new.period;
    if p.end < p.start {
        v.push(FieldError::new("period_end", "before_start", format!("the period ends ({}) before it starts ({})", p.end, p.start)));
    }
    if p.end > today {
        v.push(FieldError::new("period_end", "in_future", format!("a value is reported for a period that has ended; {} is in the future", p.end)));
    }
    match indicator.effective_measure() {
        IndicatorMeasure::Qualitative => {
            if new.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
                v.push(FieldError::new("text", "required", "a qualitative indicator is reported as text"));
            }
            if new.value.is_some() {
                v.push(FieldError::new("value", "not_applicable", "a qualitative indicator has no numeric value"));
            }
        }
        measure => match new.value {
            None => v.push(FieldError::new("value", "required", "a numeric indicator needs a value")),
            Some(x) if !x.is_finite() || (measure == IndicatorMeasure::Percentage && !(0.0..=100.0).contains(&x)) => {
                v.push(FieldError::new("value", "out_of_range", "a value is a finite number; a percentage is 0–100"));
            }
            Some(_) => {}
        },
    }
    let mut recording = Recording::New;
    if p.start <= p.end {
        for r in current {
            if r.period == p {
                recording = Recording::Replaces(r.id);
            } else if r.period.overlaps(&p) {
                v.push(FieldError::new(
                    "period_start",
                    "overlapping_period",
                    format!("the period overlaps the reported period {} – {}; correct that period or choose another", r.period.start, r.period.end),
                ));
                break;
            }
        }
    }
    v.into_result().map(|()| recording)
}

/// The actual value as of a day: only periods ended by `as_of` count. `cumulative`: the value
/// of the latest such period; `flow`: the sum of their values. `None` when no numeric value
/// counts.
pub fn actual_as_of(aggregation: IndicatorAggregation, values: &[(Period, Option<f64>)], as_of: NaiveDate) -> Option<f64> {
    let mut counted: Vec<(Period, f64)> = values.iter().filter(|(p, _)| p.end <= as_of).filter_map(|(p, v)| v.map(|v| (*p, v))).collect();
    if counted.is_empty() {
        return None;
    }
    match aggregation {
        IndicatorAggregation::Cumulative => {
            counted.sort_by_key(|(p, _)| (p.end, p.start));
            counted.last().map(|(_, v)| *v)
        }
        IndicatorAggregation::Flow => Some(counted.iter().map(|(_, v)| v).sum()),
    }
}

/// Values per period of each indicator, by (measure id, indicator key).
pub type Series = std::collections::HashMap<(Uuid, String), Vec<(Period, Option<f64>)>>;

/// Sets each measure's actual indicator values from the values reported per period, as of
/// `as_of` under each indicator's aggregation. An indicator without period values keeps the
/// actual value it had (the latest one named in a progress report).
pub fn apply_series(measures: &mut [crate::fulfilment::MeasureState], series: &Series, as_of: NaiveDate) {
    for m in measures.iter_mut() {
        for ind in &m.indicators {
            if let Some(values) = series.get(&(m.id, ind.key.clone())) {
                match actual_as_of(ind.aggregation, values, as_of) {
                    Some(actual) => m.actuals.insert(ind.key.clone(), actual),
                    None => m.actuals.remove(&ind.key),
                };
            }
        }
    }
}

/// The average of the attainments that can be computed (`None` when none can): how a goal or
/// thematic area sums up its measures' indicators. Each indicator weighs the same.
pub fn average_attainment(attainments: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let known: Vec<f64> = attainments.into_iter().flatten().collect();
    (!known.is_empty()).then(|| (known.iter().sum::<f64>() / known.len() as f64 * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codelist::IndicatorKind;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn p(a: &str, b: &str) -> Period {
        Period { start: d(a), end: d(b) }
    }

    fn indicator(kind: IndicatorKind, aggregation: IndicatorAggregation) -> Indicator {
        Indicator {
            key: "I1".into(),
            name: "Klienti".into(),
            unit: None,
            kind,
            ascending: true,
            baseline_value: Some(0.0),
            baseline_year: None,
            target_value: Some(100.0),
            target_text: Some("x".into()),
            target_date: None,
            aggregation,
            measure: None,
        }
    }

    fn codes(r: Result<Recording, DomainError>) -> Vec<(String, String)> {
        match r {
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn recording_rules() {
        let count = indicator(IndicatorKind::Count, IndicatorAggregation::Flow);
        let today = d("2025-06-30");
        let q1 = RecordedPeriod { id: Uuid::from_u128(1), period: p("2025-01-01", "2025-03-31") };
        let value = |a, b, x: Option<f64>| NewValue { period: p(a, b), value: x, text: None };
        assert_eq!(record(&count, &value("2025-04-01", "2025-06-30", Some(5.0)), &[q1], today), Ok(Recording::New));
        assert_eq!(record(&count, &value("2025-01-01", "2025-03-31", Some(6.0)), &[q1], today), Ok(Recording::Replaces(q1.id)));
        let table = [
            (value("2025-03-31", "2025-01-01", Some(1.0)), vec![("period_end", "before_start")]),
            (value("2025-06-01", "2025-07-01", Some(1.0)), vec![("period_end", "in_future")]),
            (value("2025-03-31", "2025-04-30", Some(1.0)), vec![("period_start", "overlapping_period")]),
            (value("2024-12-01", "2025-12-31", Some(1.0)), vec![("period_end", "in_future"), ("period_start", "overlapping_period")]),
            (value("2025-02-01", "2025-02-28", Some(1.0)), vec![("period_start", "overlapping_period")]),
            (value("2025-04-01", "2025-04-30", None), vec![("value", "required")]),
            (value("2025-04-01", "2025-04-30", Some(f64::NAN)), vec![("value", "out_of_range")]),
        ];
        for (new, expected) in table {
            let expected: Vec<(String, String)> = expected.into_iter().map(|(f, c)| (f.into(), c.into())).collect();
            assert_eq!(codes(record(&count, &new, &[q1], today)), expected, "{new:?}");
        }
        let pct = indicator(IndicatorKind::Percentage, IndicatorAggregation::Cumulative);
        assert_eq!(codes(record(&pct, &value("2025-04-01", "2025-04-30", Some(101.0)), &[], today)), vec![("value".into(), "out_of_range".into())]);
        let qual = indicator(IndicatorKind::Qualitative, IndicatorAggregation::Cumulative);
        assert_eq!(codes(record(&qual, &value("2025-04-01", "2025-04-30", None), &[], today)), vec![("text".into(), "required".into())]);
        let described = NewValue { text: Some("zřízena".into()), ..value("2025-04-01", "2025-04-30", None) };
        assert_eq!(record(&qual, &described, &[], today), Ok(Recording::New));
    }

    #[test]
    fn overlap_is_symmetric_and_matches_shared_days() {
        // Every pair of periods within ten days, checked against counting shared days.
        let day = |n: u32| d("2025-01-01") + chrono::Days::new(u64::from(n));
        for a in 0..10 {
            for b in a..10 {
                for c in 0..10 {
                    for e in c..10 {
                        let (x, y) = (Period { start: day(a), end: day(b) }, Period { start: day(c), end: day(e) });
                        let shared = (a..=b).any(|n| (c..=e).contains(&n));
                        assert_eq!(x.overlaps(&y), shared);
                        assert_eq!(x.overlaps(&y), y.overlaps(&x));
                    }
                }
            }
        }
    }

    #[test]
    fn actual_as_of_by_aggregation() {
        // Quarterly reports: 10, 15, 20 (flow: 10 + 15 + 20 = 45 by the end of Q3).
        let values = [(p("2025-01-01", "2025-03-31"), Some(10.0)), (p("2025-07-01", "2025-09-30"), Some(20.0)), (p("2025-04-01", "2025-06-30"), Some(15.0))];
        use IndicatorAggregation::{Cumulative, Flow};
        assert_eq!(actual_as_of(Flow, &values, d("2025-09-30")), Some(45.0));
        assert_eq!(actual_as_of(Flow, &values, d("2025-09-29")), Some(25.0));
        assert_eq!(actual_as_of(Flow, &values, d("2025-03-30")), None);
        // Cumulative: the value of the latest period ended by the day, whatever the order given.
        assert_eq!(actual_as_of(Cumulative, &values, d("2025-12-31")), Some(20.0));
        assert_eq!(actual_as_of(Cumulative, &values, d("2025-08-15")), Some(15.0));
        assert_eq!(actual_as_of(Cumulative, &[(p("2025-01-01", "2025-01-31"), None)], d("2025-12-31")), None);
        // The flow sum equals the sum of every value ended by the day, for every day of the year.
        for n in 0..365u64 {
            let day = d("2025-01-01") + chrono::Days::new(n);
            let by_hand: f64 = values.iter().filter(|(p, _)| p.end <= day).filter_map(|(_, v)| *v).sum();
            assert_eq!(actual_as_of(Flow, &values, day).unwrap_or(0.0), by_hand);
        }
    }

    #[test]
    fn averages_skip_unknown_attainments() {
        assert_eq!(average_attainment([Some(50.0), None, Some(25.0)]), Some(37.5));
        assert_eq!(average_attainment([None, None]), None);
        assert_eq!(average_attainment([]), None);
    }
}
