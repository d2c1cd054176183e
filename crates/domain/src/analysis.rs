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
}
