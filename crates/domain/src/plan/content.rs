//! What a client sets on a plan, its goals, measures and their indicators, with the rules
//! that need nothing but the content.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codelist::{FundingSource, GoalLevel, IndicatorAggregation, IndicatorKind, IndicatorMeasure, MeasureKind, ThematicArea};
use crate::error::Violations;
use crate::money::{self, Money};
use crate::period::ensure_ordered;
use crate::{DomainError, FieldError};

/// What a client sets on a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanData {
    pub partnership_id: Uuid,
    pub title: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// The situational analysis the plan builds on.
    pub analysis_id: Option<Uuid>,
}

impl PlanData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if self.title.trim().is_empty() {
            v.push(FieldError::new("title", "blank", "title must not be blank"));
        }
        v.check(ensure_ordered(Some(self.valid_from), Some(self.valid_to), "valid_to", "valid_from"));
        v.into_result().map(|()| self)
    }
}

/// An approval step: the date and the number of the council's or assembly's resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The day of the session.
    pub date: NaiveDate,
    /// e.g. `RM/45/2019`.
    pub resolution_number: String,
}

impl Approval {
    pub fn validate(&self, not_before: Option<NaiveDate>) -> Result<(), DomainError> {
        let mut v = Violations::new();
        if self.resolution_number.trim().is_empty() {
            v.push(FieldError::new("resolution_number", "blank", "the resolution number is required"));
        }
        if let Some(earlier) = not_before.filter(|e| self.date < *e) {
            v.push(FieldError::new("date", "before_previous_step", format!("the approval ({}) cannot precede the previous step ({earlier})", self.date)));
        }
        v.into_result()
    }
}

/// A goal of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalData {
    pub code: String,
    pub title: String,
    pub thematic_area: Option<ThematicArea>,
    pub level: GoalLevel,
    pub parent_goal_id: Option<Uuid>,
    pub description: Option<String>,
}

fn check_code(v: &mut Violations, code: &str) {
    let ok = !code.is_empty() && code.len() <= 20 && code.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok {
        v.push(FieldError::new("code", "format", "a code is dot-separated letters and digits, e.g. `2.1.3`"));
    }
}

impl GoalData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        check_code(&mut v, &self.code);
        if self.title.trim().is_empty() {
            v.push(FieldError::new("title", "blank", "title must not be blank"));
        }
        v.into_result().map(|()| self)
    }
}

/// One line of a measure's estimated budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BudgetLine {
    pub source: FundingSource,
    pub amount: Money,
    /// For ESIF money: the call (programme and number) expected to finance it.
    #[serde(default)]
    pub call_reference: Option<String>,
}

/// A measurable indicator of a measure. `key` identifies it within the measure across
/// versions of the plan, and progress reports name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Unique within the measure, e.g. `I1`.
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub unit: Option<String>,
    pub kind: IndicatorKind,
    /// `true` when more is better; `false` when the target is below the baseline.
    pub ascending: bool,
    #[serde(default)]
    pub baseline_value: Option<f64>,
    #[serde(default)]
    pub baseline_year: Option<i32>,
    /// The target; for a qualitative indicator leave it out and describe it in `target_text`.
    #[serde(default)]
    pub target_value: Option<f64>,
    #[serde(default)]
    pub target_text: Option<String>,
    #[serde(default, serialize_with = "crate::json_date::serialize_option", deserialize_with = "crate::json_date::deserialize_option")]
    pub target_date: Option<NaiveDate>,
    /// How values reported per period add up: `cumulative` (the default: the latest value
    /// stands for the total so far) or `flow` (the values of the periods add up; only for a
    /// `unit` measure).
    #[serde(default)]
    pub aggregation: IndicatorAggregation,
    /// The IATI measure of the values. Left out, it follows `kind`: `count` → `unit`,
    /// `percentage` → `percentage`, `qualitative` → `qualitative`.
    #[serde(default)]
    pub measure: Option<IndicatorMeasure>,
}

impl Indicator {
    /// The measure of the values: the declared one, or the one `kind` implies.
    pub fn effective_measure(&self) -> IndicatorMeasure {
        self.measure.unwrap_or(match self.kind {
            IndicatorKind::Count => IndicatorMeasure::Unit,
            IndicatorKind::Percentage => IndicatorMeasure::Percentage,
            IndicatorKind::Qualitative => IndicatorMeasure::Qualitative,
        })
    }
}

/// Whether a declared measure agrees with the indicator's kind.
fn measure_fits_kind(measure: IndicatorMeasure, kind: IndicatorKind) -> bool {
    use IndicatorMeasure as M;
    match kind {
        IndicatorKind::Count => matches!(measure, M::Unit | M::Nominal | M::Ordinal),
        IndicatorKind::Percentage => measure == M::Percentage,
        IndicatorKind::Qualitative => measure == M::Qualitative,
    }
}

/// A measure (or an activity beneath one): what will be done, by whom, by when, for how much.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureData {
    /// The client's own key for idempotent imports, unique within the plan (a revision's copy
    /// keeps it).
    pub external_ref: Option<String>,
    pub goal_id: Uuid,
    pub kind: MeasureKind,
    /// For an activity: the measure it belongs to.
    pub parent_measure_id: Option<Uuid>,
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub thematic_area: ThematicArea,
    /// Needs (from the partnership's analyses) the measure answers.
    pub need_ids: Vec<Uuid>,
    /// The responsible implementer: a member organisation of the partnership.
    pub responsible_organization_id: Option<Uuid>,
    pub co_implementer_ids: Vec<Uuid>,
    pub starts_on: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub budget: Vec<BudgetLine>,
    /// One of the Agency's predefined activities.
    pub predefined_activity: bool,
    pub indicators: Vec<Indicator>,
}

impl MeasureData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        check_code(&mut v, &self.code);
        if self.title.trim().is_empty() {
            v.push(FieldError::new("title", "blank", "title must not be blank"));
        }
        match (self.kind, self.parent_measure_id) {
            (MeasureKind::Activity, None) => v.push(FieldError::new("parent_measure_id", "required", "an activity belongs to a measure")),
            (MeasureKind::Measure, Some(_)) => v.push(FieldError::new("parent_measure_id", "not_applicable", "only an activity has a parent measure")),
            _ => {}
        }
        v.check(ensure_ordered(self.starts_on, self.deadline, "deadline", "starts_on"));
        for (i, line) in self.budget.iter().enumerate() {
            v.check(line.amount.validate(&format!("budget[{i}].amount")));
        }
        match money::try_sum(self.budget.iter().map(|l| &l.amount)) {
            Ok(_) => {}
            Err(money::SumError::MixedCurrencies) => v.push(FieldError::new("budget", "mixed_currencies", "all budget lines use one currency")),
            Err(money::SumError::Overflow) => {
                v.push(FieldError::new("budget", "overflow", "the budget lines add up to more than the largest amount that can be stored"))
            }
        }
        let mut keys = std::collections::HashSet::new();
        for (i, ind) in self.indicators.iter().enumerate() {
            if ind.key.trim().is_empty() || !keys.insert(ind.key.as_str()) {
                v.push(FieldError::new(format!("indicators[{i}].key"), "duplicate", "indicator keys are non-blank and unique within the measure"));
            }
            if ind.name.trim().is_empty() {
                v.push(FieldError::new(format!("indicators[{i}].name"), "blank", "an indicator needs a name"));
            }
            let numeric = ind.kind != IndicatorKind::Qualitative;
            if numeric && ind.target_value.is_none() {
                v.push(FieldError::new(format!("indicators[{i}].target_value"), "required", "a count or percentage indicator needs a target value"));
            }
            if !numeric && ind.target_text.as_deref().is_none_or(|t| t.trim().is_empty()) {
                v.push(FieldError::new(format!("indicators[{i}].target_text"), "required", "a qualitative indicator describes its target in target_text"));
            }
            for (field, value) in [("baseline_value", ind.baseline_value), ("target_value", ind.target_value)] {
                if value.is_some_and(|x| !x.is_finite() || (ind.kind == IndicatorKind::Percentage && !(0.0..=100.0).contains(&x))) {
                    v.push(FieldError::new(format!("indicators[{i}].{field}"), "out_of_range", "a value is a finite number; a percentage is 0–100"));
                }
            }
            if ind.measure.is_some_and(|m| !measure_fits_kind(m, ind.kind)) {
                v.push(FieldError::new(
                    format!("indicators[{i}].measure"),
                    "inconsistent_with_kind",
                    "a count is measured in unit, nominal or ordinal values; a percentage in percentage; a qualitative indicator is qualitative",
                ));
            }
            if ind.aggregation == IndicatorAggregation::Flow && ind.effective_measure() != IndicatorMeasure::Unit {
                v.push(FieldError::new(
                    format!("indicators[{i}].aggregation"),
                    "not_additive",
                    "only values measured in units add up over periods (`flow`); use `cumulative`",
                ));
            }
            if let (Some(b), Some(t)) = (ind.baseline_value, ind.target_value)
                && ((ind.ascending && t < b) || (!ind.ascending && t > b))
            {
                v.push(FieldError::new(
                    format!("indicators[{i}].target_value"),
                    "direction",
                    "the target lies on the wrong side of the baseline for this direction",
                ));
            }
        }
        v.into_result().map(|()| self)
    }

    /// The estimated budget: the exact sum of its lines (one currency).
    pub fn budget_total(&self) -> Option<Money> {
        money::sum(self.budget.iter().map(|l| &l.amount)).flatten()
    }
}
