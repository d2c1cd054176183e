//! EU funds: calls for proposals and the project pipeline, with the rules of submission
//! (the call is open, the amounts fit the call, and under the coordinated approach (KPSVL)
//! the partnership has a plan in force that the project implements).

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use regex::Regex;
use uuid::Uuid;

use crate::codelist::{CallStatus, Coded, ProgrammingPeriod};
use crate::error::Violations;
use crate::money::Money;
use crate::{DomainError, FieldError};

static REG_2021: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^CZ\.\d{2}\.\d{2}\.\d{2}/\d{2}/\d{2}_\d{3}/\d{7}$").ok());
static REG_2014: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^CZ\.\d{2}\.\d{1,2}\.\d{1,3}/\d\.\d/\d\.\d/\d{2}_\d{3}/\d{7}$").ok());
static REG_2007: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^CZ\.\d\.\d{2}/\d\.\d\.\d{2}/\d{2}\.\d{4,5}$").ok());

/// Checks a project registration number against the shape its programming period uses:
/// 2021–2027 `CZ.03.02.02/00/22_004/0000366`, 2014–2020 `CZ.03.4.74/0.0/0.0/15_025/0004172`,
/// 2007–2013 `CZ.1.04/4.1.01/53.00168`.
pub fn check_registration_number(period: ProgrammingPeriod, number: &str) -> Result<(), FieldError> {
    let (pattern, example) = match period {
        ProgrammingPeriod::Period2021To2027 => (&REG_2021, "CZ.03.02.02/00/22_004/0000366"),
        ProgrammingPeriod::Period2014To2020 => (&REG_2014, "CZ.03.4.74/0.0/0.0/15_025/0004172"),
        ProgrammingPeriod::Period2007To2013 => (&REG_2007, "CZ.1.04/4.1.01/53.00168"),
    };
    if pattern.as_ref().is_some_and(|re| re.is_match(number)) {
        Ok(())
    } else {
        Err(FieldError::new("registration_number", "format", format!("a {} registration number looks like {example}", period.code())))
    }
}

/// The terms of a call that a submission is checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct CallTerms {
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub min_project: Option<Money>,
    pub max_project: Option<Money>,
    /// The highest share of eligible costs the grant may cover, in basis points (8500 = 85 %).
    pub support_rate_bp: i32,
    pub kpsvl: bool,
    /// For a KPSVL call: the partnerships it is open to.
    pub open_to: Vec<Uuid>,
    pub period: ProgrammingPeriod,
}

/// Whether a project of this partnership may apply to a call: a coordinated-approach (KPSVL)
/// call only when it is open to the partnership, any other call always.
pub fn call_open_to(kpsvl: bool, open_to: &[Uuid], partnership_id: Uuid) -> bool {
    !kpsvl || open_to.contains(&partnership_id)
}

/// A project names only a call open to its partnership, from its first draft on (422 on
/// `call_id`), so that the refusal does not wait for the submission.
pub fn check_call_open_to(kpsvl: bool, open_to: &[Uuid], partnership_id: Uuid) -> Result<(), FieldError> {
    if call_open_to(kpsvl, open_to, partnership_id) {
        Ok(())
    } else {
        Err(FieldError::new("call_id", "call_not_open_to_partnership", "this coordinated-approach (KPSVL) call is not open to the project's partnership"))
    }
}

/// The state of a call at a moment.
pub fn call_status(opens_at: DateTime<Utc>, closes_at: DateTime<Utc>, at: DateTime<Utc>) -> CallStatus {
    if at < opens_at {
        CallStatus::Announced
    } else if at <= closes_at {
        CallStatus::Open
    } else {
        CallStatus::Closed
    }
}

mod projects;

pub use projects::*;

#[cfg(test)]
mod tests;

/// A priority axis or specific objective of a programme.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PriorityAxis {
    /// e.g. `3.1b`, `2.3`.
    pub code: String,
    pub name: String,
}

/// An operational programme.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeData {
    pub code: String,
    pub name_cs: String,
    pub name_en: String,
    pub period: ProgrammingPeriod,
    pub funds: Vec<crate::codelist::Fund>,
    pub priority_axes: Vec<PriorityAxis>,
}

impl ProgrammeData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        for (field, value) in [("code", &self.code), ("name_cs", &self.name_cs), ("name_en", &self.name_en)] {
            if value.trim().is_empty() {
                v.push(FieldError::new(field, "blank", format!("{field} must not be blank")));
            }
        }
        let mut codes = std::collections::HashSet::new();
        for (i, axis) in self.priority_axes.iter().enumerate() {
            if axis.code.trim().is_empty() || !codes.insert(axis.code.as_str()) {
                v.push(FieldError::new(format!("priority_axes[{i}].code"), "duplicate", "axis codes are non-blank and unique"));
            }
        }
        v.into_result().map(|()| self)
    }
}

/// The operational programmes named in the Agency's sources, shipped as reference data.
pub fn reference_programmes() -> Vec<ProgrammeData> {
    use crate::codelist::Fund;
    use ProgrammingPeriod as P;
    let axis = |code: &str, name: &str| PriorityAxis { code: code.into(), name: name.into() };
    vec![
        ProgrammeData {
            code: "OP LZZ".into(),
            name_cs: "Operační program Lidské zdroje a zaměstnanost".into(),
            name_en: "Operational Programme Human Resources and Employment".into(),
            period: P::Period2007To2013,
            funds: vec![Fund::Esf],
            priority_axes: vec![axis("3", "Sociální integrace a rovné příležitosti")],
        },
        ProgrammeData {
            code: "OP VK".into(),
            name_cs: "Operační program Vzdělávání pro konkurenceschopnost".into(),
            name_en: "Operational Programme Education for Competitiveness".into(),
            period: P::Period2007To2013,
            funds: vec![Fund::Esf],
            priority_axes: vec![axis("1.2", "Rovné příležitosti dětí a žáků, včetně dětí a žáků se speciálními vzdělávacími potřebami")],
        },
        ProgrammeData {
            code: "IOP".into(),
            name_cs: "Integrovaný operační program".into(),
            name_en: "Integrated Operational Programme".into(),
            period: P::Period2007To2013,
            funds: vec![Fund::Erdf],
            priority_axes: vec![axis("3.1b", "Infrastruktura sociálních služeb"), axis("3.1c", "Sociální ekonomika"), axis("5.2c", "Problémová sídliště")],
        },
        ProgrammeData {
            code: "ROP".into(),
            name_cs: "Regionální operační programy".into(),
            name_en: "Regional operational programmes".into(),
            period: P::Period2007To2013,
            funds: vec![Fund::Erdf],
            priority_axes: vec![],
        },
        ProgrammeData {
            code: "OPZ".into(),
            name_cs: "Operační program Zaměstnanost".into(),
            name_en: "Operational Programme Employment".into(),
            period: P::Period2014To2020,
            funds: vec![Fund::Esf],
            priority_axes: vec![axis("2.1", "Sociální začleňování a boj s chudobou")],
        },
        ProgrammeData {
            code: "IROP".into(),
            name_cs: "Integrovaný regionální operační program".into(),
            name_en: "Integrated Regional Operational Programme".into(),
            period: P::Period2014To2020,
            funds: vec![Fund::Erdf],
            priority_axes: vec![axis("2.1", "Sociální infrastruktura")],
        },
        ProgrammeData {
            code: "IROP 2021+".into(),
            name_cs: "Integrovaný regionální operační program 2021–2027".into(),
            name_en: "Integrated Regional Operational Programme 2021–2027".into(),
            period: P::Period2021To2027,
            funds: vec![Fund::Erdf],
            priority_axes: vec![],
        },
        ProgrammeData {
            code: "OP VVV".into(),
            name_cs: "Operační program Výzkum, vývoj a vzdělávání".into(),
            name_en: "Operational Programme Research, Development and Education".into(),
            period: P::Period2014To2020,
            funds: vec![Fund::Esf, Fund::Erdf],
            priority_axes: vec![axis("3", "Rovný přístup ke kvalitnímu předškolnímu, primárnímu a sekundárnímu vzdělávání")],
        },
        ProgrammeData {
            code: "OPZ+".into(),
            name_cs: "Operační program Zaměstnanost plus".into(),
            name_en: "Operational Programme Employment Plus".into(),
            period: P::Period2021To2027,
            funds: vec![Fund::EsfPlus],
            priority_axes: vec![axis("2.2", "Sociální začleňování")],
        },
    ]
}

/// A call for proposals.
#[derive(Debug, Clone, PartialEq)]
pub struct CallData {
    pub external_ref: Option<String>,
    pub programme_id: Uuid,
    /// e.g. `052`.
    pub number: String,
    pub title: String,
    pub specific_objective: Option<String>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub allocation: Money,
    pub min_project: Option<Money>,
    pub max_project: Option<Money>,
    pub support_rate_bp: i32,
    pub kpsvl: bool,
    pub open_to: Vec<Uuid>,
}

impl CallData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if self.number.trim().is_empty() {
            v.push(FieldError::new("number", "blank", "a call has a number"));
        }
        if self.title.trim().is_empty() {
            v.push(FieldError::new("title", "blank", "title must not be blank"));
        }
        if self.closes_at < self.opens_at {
            v.push(FieldError::new("closes_at", "before_start", "closes_at is before opens_at"));
        }
        v.check(self.allocation.validate("allocation"));
        for (field, m) in [("min_project", &self.min_project), ("max_project", &self.max_project)] {
            if let Some(m) = m {
                v.check(m.validate(field));
                if m.currency != self.allocation.currency {
                    v.push(FieldError::new(format!("{field}.currency"), "mixed_currencies", "a call uses one currency"));
                }
            }
        }
        if let (Some(min), Some(max)) = (&self.min_project, &self.max_project)
            && max.amount_minor < min.amount_minor
        {
            v.push(FieldError::new("max_project", "below_minimum", "max_project is below min_project"));
        }
        if !(1..=10_000).contains(&self.support_rate_bp) {
            v.push(FieldError::new("support_rate_bp", "out_of_range", "the support rate is 1–10000 basis points (0.01–100 %)"));
        }
        if !self.kpsvl && !self.open_to.is_empty() {
            v.push(FieldError::new("open_to", "not_applicable", "only a coordinated-approach (KPSVL) call is restricted to partnerships"));
        }
        v.into_result().map(|()| self)
    }
}

impl CallData {
    /// The terms a submission to this call is checked against; `period` is its programme's.
    pub fn terms(&self, period: ProgrammingPeriod) -> CallTerms {
        CallTerms {
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            min_project: self.min_project.clone(),
            max_project: self.max_project.clone(),
            support_rate_bp: self.support_rate_bp,
            kpsvl: self.kpsvl,
            open_to: self.open_to.clone(),
            period,
        }
    }
}

/// A record of project counselling.
#[derive(Debug, Clone, PartialEq)]
pub struct CounsellingData {
    pub partnership_id: Uuid,
    /// The Agency consultant (a person).
    pub consultant_id: Uuid,
    pub organization_ids: Vec<Uuid>,
    pub held_on: NaiveDate,
    pub duration_minutes: i32,
    pub topic: String,
    pub call_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub notes: Option<String>,
}

impl CounsellingData {
    /// [`CounsellingData::validate`] of a record written on `today`: it records counselling
    /// that took place, so it is not dated in the future (checked first).
    pub fn validate_on(self, today: NaiveDate) -> Result<Self, DomainError> {
        crate::period::not_in_future(self.held_on, today, "held_on").map_err(|e| DomainError::Invalid(vec![e]))?;
        self.validate()
    }

    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if self.topic.trim().is_empty() {
            v.push(FieldError::new("topic", "blank", "topic must not be blank"));
        }
        if !(1..=24 * 60).contains(&self.duration_minutes) {
            v.push(FieldError::new("duration_minutes", "out_of_range", "a counselling session lasts 1–1440 minutes"));
        }
        v.into_result().map(|()| self)
    }
}

/// Funding of one measure by approved projects, compared with its estimated budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Approved projects cover the whole estimated budget.
    Full,
    /// Some, but not all.
    Partial,
    /// No approved project.
    None,
    /// Approved projects exist, but the measure has no estimated budget to compare with.
    NoBudget,
}

/// Splits a project's approved amount among its measures in proportion to their estimated
/// budgets (equally when none has a budget), in integers: the remainder goes to the first
/// measures so that the parts add up to the whole exactly.
pub fn split_amount(amount: i64, budgets: &[Option<i64>]) -> Vec<i64> {
    if budgets.is_empty() {
        return vec![];
    }
    let weights: Vec<i128> = if budgets.iter().all(|b| b.is_none_or(|x| x <= 0)) {
        vec![1; budgets.len()]
    } else {
        budgets.iter().map(|b| i128::from(b.unwrap_or(0).max(0))).collect()
    };
    let total: i128 = weights.iter().sum();
    let mut parts: Vec<i128> = weights.iter().map(|w| i128::from(amount) * w / total).collect();
    let mut rest = i128::from(amount) - parts.iter().sum::<i128>();
    for (part, w) in parts.iter_mut().zip(&weights) {
        if rest == 0 {
            break;
        }
        if *w > 0 {
            *part += 1;
            rest -= 1;
        }
    }
    parts.into_iter().map(|p| i64::try_from(p).unwrap_or(i64::MAX)).collect()
}

/// Compares the funding of a measure with its budget.
pub fn coverage(funded: i64, budget: Option<i64>) -> Coverage {
    match budget.filter(|b| *b > 0) {
        _ if funded <= 0 => Coverage::None,
        None => Coverage::NoBudget,
        Some(b) if funded >= b => Coverage::Full,
        Some(_) => Coverage::Partial,
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    #[test]
    fn splits_add_up_exactly() {
        assert_eq!(split_amount(100, &[Some(1), Some(1), Some(1)]), vec![34, 33, 33]);
        assert_eq!(split_amount(1000, &[Some(300), Some(100)]), vec![750, 250]);
        assert_eq!(split_amount(10, &[None, None]), vec![5, 5]);
        assert_eq!(split_amount(10, &[Some(5), None]), vec![10, 0]);
        assert_eq!(split_amount(7, &[]), Vec::<i64>::new());
        let parts = split_amount(i64::MAX, &[Some(i64::MAX), Some(1)]);
        assert_eq!(parts.iter().map(|p| i128::from(*p)).sum::<i128>(), i128::from(i64::MAX));
    }

    #[test]
    fn a_measure_is_linked_once_across_versions() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(check_distinct_measures(&[]).is_ok());
        assert!(check_distinct_measures(&[a, b]).is_ok());
        let e = check_distinct_measures(&[a, b, a]).unwrap_err();
        assert_eq!((e.field.as_str(), e.code.as_str()), ("measure_ids", "same_measure_twice"));
    }

    #[test]
    fn coverage_levels() {
        assert_eq!(coverage(0, Some(100)), Coverage::None);
        assert_eq!(coverage(50, Some(100)), Coverage::Partial);
        assert_eq!(coverage(100, Some(100)), Coverage::Full);
        assert_eq!(coverage(10, None), Coverage::NoBudget);
        assert_eq!(coverage(0, None), Coverage::None);
    }

    #[test]
    fn reference_programmes_are_valid() {
        let all = reference_programmes();
        assert!(all.iter().all(|p| p.clone().validate().is_ok()));
        assert!(all.iter().any(|p| p.code == "OPZ"));
    }
}
