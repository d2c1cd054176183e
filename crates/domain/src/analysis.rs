//! Situational analyses: findings by thematic area and the needs they reveal.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codelist::{AnalysisStatus, Coded, Priority, ThematicArea};
use crate::error::Violations;
use crate::period::ensure_ordered;
use crate::{DomainError, FieldError};

/// A key figure of a finding: `{"name": "Lidé v exekuci", "value": 412, "unit": "osob", …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyFigure {
    pub name: String,
    pub value: f64,
    pub unit: Option<String>,
    pub source: Option<String>,
    pub year: Option<i32>,
}

/// What the analysis found in one thematic area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub thematic_area: ThematicArea,
    pub text: String,
    #[serde(default)]
    pub key_figures: Vec<KeyFigure>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisData {
    pub partnership_id: Uuid,
    pub title: String,
    pub fieldwork_from: Option<NaiveDate>,
    pub fieldwork_to: Option<NaiveDate>,
    pub author_organization_ids: Vec<Uuid>,
    pub author_person_ids: Vec<Uuid>,
    pub findings: Vec<Finding>,
    /// The completed analysis this one corrects.
    pub supersedes_id: Option<Uuid>,
}

impl AnalysisData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if self.title.trim().is_empty() {
            v.push(FieldError::new("title", "blank", "title must not be blank"));
        }
        v.check(ensure_ordered(self.fieldwork_from, self.fieldwork_to, "fieldwork_to", "fieldwork_from"));
        for (i, f) in self.findings.iter().enumerate() {
            if f.text.trim().is_empty() {
                v.push(FieldError::new(format!("findings[{i}].text"), "blank", "a finding needs a text"));
            }
            for (j, k) in f.key_figures.iter().enumerate() {
                if !k.value.is_finite() {
                    v.push(FieldError::new(format!("findings[{i}].key_figures[{j}].value"), "not_finite", "a key figure is a finite number"));
                }
                if k.name.trim().is_empty() {
                    v.push(FieldError::new(format!("findings[{i}].key_figures[{j}].name"), "blank", "a key figure needs a name"));
                }
            }
        }
        v.into_result().map(|()| self)
    }
}

/// The lifecycle of an analysis: planned → in_progress → completed. A completed analysis is
/// read-only; a correction is a new analysis that supersedes it.
pub fn ensure_editable(status: AnalysisStatus) -> Result<(), DomainError> {
    if status == AnalysisStatus::Completed {
        Err(DomainError::Conflict("a completed analysis is read-only; create a new analysis that supersedes it".into()))
    } else {
        Ok(())
    }
}

/// `start` and `complete` move an analysis forward, one step at a time.
pub fn advance(from: AnalysisStatus, to: AnalysisStatus) -> Result<AnalysisStatus, DomainError> {
    use AnalysisStatus as S;
    match (from, to) {
        (S::Planned, S::InProgress) | (S::InProgress, S::Completed) => Ok(to),
        _ => Err(DomainError::Conflict(format!("an analysis in status `{}` cannot move to `{}`", from.code(), to.code()))),
    }
}

/// What is stored of the analysis a new or changed one names in `supersedes_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Superseded {
    pub partnership_id: Uuid,
    pub status: AnalysisStatus,
    /// Another (non-archived) analysis already corrects it.
    pub corrected_by_another: bool,
}

/// Why an analysis may not supersede the one it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupersedeRefusal {
    /// The named analysis is not one of this partnership, or is broken (422).
    Invalid(DomainError),
    /// Another analysis already corrects it (409, on `supersedes_id`).
    Taken(&'static str),
}

/// A correction supersedes a completed analysis of the same partnership that no other
/// analysis corrects yet. `target` is the analysis named, `None` when there is none.
pub fn check_supersedes(partnership_id: Uuid, target: Option<Superseded>) -> Result<(), SupersedeRefusal> {
    let Some(target) = target.filter(|t| t.partnership_id == partnership_id) else {
        return Err(SupersedeRefusal::Invalid(DomainError::invalid(
            "supersedes_id",
            "not_found",
            "the superseded analysis is not an analysis of this partnership",
        )));
    };
    if target.status != AnalysisStatus::Completed {
        return Err(SupersedeRefusal::Invalid(DomainError::invalid(
            "supersedes_id",
            "not_completed",
            "only a completed analysis is superseded; edit an unfinished one instead",
        )));
    }
    if target.corrected_by_another {
        return Err(SupersedeRefusal::Taken("that analysis is already superseded by another one"));
    }
    Ok(())
}

/// A need found by an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct NeedData {
    pub thematic_area: ThematicArea,
    pub description: String,
    pub priority: Priority,
    pub people_affected: Option<i64>,
    pub evidence: Option<String>,
}

impl NeedData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if self.description.trim().is_empty() {
            v.push(FieldError::new("description", "blank", "description must not be blank"));
        }
        if self.people_affected.is_some_and(|p| p < 0) {
            v.push(FieldError::new("people_affected", "negative", "people affected cannot be negative"));
        }
        v.into_result().map(|()| self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyses_only_move_forward() {
        use AnalysisStatus as S;
        assert_eq!(advance(S::Planned, S::InProgress), Ok(S::InProgress));
        assert_eq!(advance(S::InProgress, S::Completed), Ok(S::Completed));
        assert!(advance(S::Planned, S::Completed).is_err());
        assert!(advance(S::Completed, S::InProgress).is_err());
        assert!(ensure_editable(S::Completed).is_err());
        assert!(ensure_editable(S::InProgress).is_ok());
    }

    #[test]
    fn a_correction_supersedes_a_completed_analysis_of_its_partnership_once() {
        use AnalysisStatus as S;
        let (ours, theirs) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let target = |partnership_id, status, corrected_by_another| Some(Superseded { partnership_id, status, corrected_by_another });
        let code = |r: Result<(), SupersedeRefusal>| match r {
            Ok(()) => "ok".to_owned(),
            Err(SupersedeRefusal::Invalid(DomainError::Invalid(e))) => format!("{}:{}", e[0].field, e[0].code),
            Err(SupersedeRefusal::Invalid(other)) => panic!("{other:?}"),
            Err(SupersedeRefusal::Taken(_)) => "taken".to_owned(),
        };
        let table = [
            (None, "supersedes_id:not_found"),
            (target(theirs, S::Completed, false), "supersedes_id:not_found"),
            (target(ours, S::Planned, false), "supersedes_id:not_completed"),
            (target(ours, S::InProgress, false), "supersedes_id:not_completed"),
            (target(ours, S::Completed, true), "taken"),
            (target(ours, S::Completed, false), "ok"),
        ];
        for (target, expected) in table {
            assert_eq!(code(check_supersedes(ours, target)), expected, "{target:?}");
        }
    }
}
