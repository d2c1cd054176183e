//! The Agency's own support projects, such as "Rozvoj systémů pro sociální začleňování"
//! (CZ.03.02.02/00/22_004/0000366, OPZ+, 2023): the territorial units they support, each
//! unit's description of cooperation with quality criteria assessed at the start, in between
//! and at the end, participatory procedures the unit applied on its own, the documents of
//! KA01/KA02 with the KA03 analytical findings they reference, the KA04 good-practice
//! events with the attendance of the units' social-inclusion managers, and the project's
//! five target indicators computed from all of that ([`indicators`]).
//!
//! Every rule here is a pure function of the facts and a day (`as_of`): a record dated after
//! that day has not happened yet on it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codelist::{Coded, ProgrammingPeriod, ThematicArea};
use crate::{DomainError, FieldError, Violations};

/// A key activity of a project (`KA01` … `KA05`) and its title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyActivity {
    /// `KA01` … `KA99`.
    pub code: String,
    pub title: String,
}

/// The project's rule for "a unit raises its competence in managing social inclusion",
/// stored as data on the project. A criterion **improves by `n` points** when its latest
/// interim or final assessment on the day scores `n` more than its baseline (a criterion
/// without a baseline, or without a later assessment, has not improved). A unit without
/// criteria never raises its competence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CompetenceRule {
    /// At least `min_share_percent` % of the unit's criteria improved by at least
    /// `min_points` (e.g. 50 % by 1 point).
    ShareOfCriteria { min_share_percent: u32, min_points: i32 },
    /// At least `min_criteria` of the unit's criteria improved by at least `min_points`.
    CountOfCriteria { min_criteria: u32, min_points: i32 },
}

impl Default for CompetenceRule {
    /// Half of the criteria, each by at least one point.
    fn default() -> Self {
        Self::ShareOfCriteria { min_share_percent: 50, min_points: 1 }
    }
}

impl CompetenceRule {
    fn check(self, v: &mut Violations) {
        let (points, ok) = match self {
            Self::ShareOfCriteria { min_share_percent, min_points } => (min_points, (1..=100).contains(&min_share_percent)),
            Self::CountOfCriteria { min_criteria, min_points } => (min_points, min_criteria >= 1),
        };
        if !ok {
            v.push(FieldError::new("competence_rule", "out_of_range", "a share of 1–100 % or at least one criterion"));
        }
        if points < 1 {
            v.push(FieldError::new("competence_rule.min_points", "out_of_range", "at least one point"));
        }
    }

    /// Whether a unit whose criteria improved by these points (one entry per criterion;
    /// `None` for a criterion that cannot be compared yet) raised its competence.
    pub fn raised(self, improvements: &[Option<i32>]) -> bool {
        let total = improvements.len();
        let improved = |min: i32| improvements.iter().filter(|i| i.is_some_and(|p| p >= min)).count();
        match self {
            Self::ShareOfCriteria { min_share_percent, min_points } => {
                total > 0 && improved(min_points) * 100 >= usize::try_from(min_share_percent).unwrap_or(usize::MAX) * total
            }
            Self::CountOfCriteria { min_criteria, min_points } => total > 0 && improved(min_points) >= usize::try_from(min_criteria).unwrap_or(usize::MAX),
        }
    }
}

/// What a client sets on a support project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportProjectData {
    pub registration_number: String,
    pub title: String,
    /// An operational programme's code (`OPZ+`).
    pub programme: String,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    pub key_activities: Vec<KeyActivity>,
    pub competence_rule: CompetenceRule,
    pub note: Option<String>,
}

impl SupportProjectData {
    /// The project's own rules; the registration number is checked against the shape of the
    /// programme's period (the caller looks the period up).
    pub fn validate(mut self, period: Option<ProgrammingPeriod>) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        self.registration_number = self.registration_number.trim().to_owned();
        self.title = self.title.trim().to_owned();
        match period {
            Some(p) => {
                if let Err(e) = crate::esif::check_registration_number(p, &self.registration_number) {
                    v.push(e);
                }
            }
            None => v.push(FieldError::new("programme", "not_found", "no operational programme has this code (GET /operational-programmes)")),
        }
        if self.title.is_empty() {
            v.push(FieldError::new("title", "required", "a title"));
        }
        if self.end_on < self.start_on {
            v.push(FieldError::new("end_on", "before_start", "end_on is before start_on"));
        }
        for (i, ka) in self.key_activities.iter_mut().enumerate() {
            ka.code = ka.code.trim().to_uppercase();
            ka.title = ka.title.trim().to_owned();
            let digits = ka.code.strip_prefix("KA").unwrap_or("");
            if digits.len() != 2 || !digits.chars().all(|c| c.is_ascii_digit()) {
                v.push(FieldError::new(format!("key_activities[{i}].code"), "format", "KA followed by two digits, e.g. KA01"));
            }
            if ka.title.is_empty() {
                v.push(FieldError::new(format!("key_activities[{i}].title"), "required", "a title"));
            }
        }
        for (i, ka) in self.key_activities.iter().enumerate() {
            if self.key_activities[..i].iter().any(|k| k.code == ka.code) {
                v.push(FieldError::new(format!("key_activities[{i}].code"), "duplicate", "each key activity once"));
            }
        }
        self.competence_rule.check(&mut v);
        v.into_result()?;
        Ok(self)
    }
}

/// A territorial unit supported by a project, with its description of cooperation
/// (Popis spolupráce): the agreed scope and thematic areas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportedUnitData {
    pub territorial_unit_id: Uuid,
    /// The Agency's cooperation with the unit's partnership, if any: a partner of that
    /// partnership reads the unit's records.
    pub cooperation_id: Option<Uuid>,
    /// The first day of support; the unit counts in the indicators from this day.
    pub joined_on: NaiveDate,
    /// The day the description of cooperation was agreed.
    pub description_agreed_on: Option<NaiveDate>,
    pub scope: Option<String>,
    pub thematic_areas: Vec<ThematicArea>,
    pub note: Option<String>,
}

impl SupportedUnitData {
    pub fn validate(mut self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if let Some(agreed) = self.description_agreed_on
            && agreed < self.joined_on
        {
            v.push(FieldError::new("description_agreed_on", "before_start", "the description is agreed on or after joined_on"));
        }
        let mut seen = Vec::new();
        self.thematic_areas.retain(|a| {
            let new = !seen.contains(a);
            seen.push(*a);
            new
        });
        v.into_result()?;
        Ok(self)
    }
}

/// A unit joins a project within the project's dates.
pub fn check_joined(project: &SupportProjectData, unit: &SupportedUnitData) -> Result<(), DomainError> {
    if (project.start_on..=project.end_on).contains(&unit.joined_on) {
        Ok(())
    } else {
        Err(DomainError::invalid("joined_on", "outside_project", format!("between the project's start_on {} and end_on {}", project.start_on, project.end_on)))
    }
}

/// When a quality criterion was assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssessmentKind {
    /// At the start, with the partner (one per criterion).
    Baseline,
    /// In between (any number, one per day).
    Interim,
    /// At the end (one per criterion).
    Final,
}

/// An assessment of a criterion on its scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    pub kind: AssessmentKind,
    pub assessed_on: NaiveDate,
    pub score: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A quality criterion of a unit's description of cooperation, on an integer scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionData {
    pub title: String,
    pub scale_min: i32,
    pub scale_max: i32,
    pub description: Option<String>,
}

impl CriterionData {
    pub fn validate(mut self, assessments: &[Assessment]) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        self.title = self.title.trim().to_owned();
        if self.title.is_empty() {
            v.push(FieldError::new("title", "required", "a title"));
        }
        if self.scale_max <= self.scale_min {
            v.push(FieldError::new("scale_max", "out_of_range", "scale_max is above scale_min"));
        } else if assessments.iter().any(|a| !(self.scale_min..=self.scale_max).contains(&a.score)) {
            v.push(FieldError::new("scale_max", "out_of_range", "the criterion's assessments must stay on its scale"));
        }
        v.into_result()?;
        Ok(self)
    }
}

/// Adds an assessment to a criterion's list: on its scale; the baseline and the final
/// assessment once each (a new one replaces the old), an interim one per day; nothing before
/// the baseline, nothing after the final assessment. Answers the new list, ordered by day.
pub fn record_assessment(criterion: &CriterionData, current: &[Assessment], new: Assessment) -> Result<Vec<Assessment>, DomainError> {
    let mut v = Violations::new();
    if !(criterion.scale_min..=criterion.scale_max).contains(&new.score) {
        v.push(FieldError::new("score", "out_of_range", format!("on the criterion's scale {}–{}", criterion.scale_min, criterion.scale_max)));
    }
    let mut next: Vec<Assessment> = current
        .iter()
        .filter(|a| match new.kind {
            AssessmentKind::Baseline | AssessmentKind::Final => a.kind != new.kind,
            AssessmentKind::Interim => !(a.kind == AssessmentKind::Interim && a.assessed_on == new.assessed_on),
        })
        .cloned()
        .collect();
    let baseline = next.iter().find(|a| a.kind == AssessmentKind::Baseline).map(|a| a.assessed_on);
    let last = next.iter().find(|a| a.kind == AssessmentKind::Final).map(|a| a.assessed_on);
    match new.kind {
        AssessmentKind::Baseline => {
            if next.iter().any(|a| a.assessed_on < new.assessed_on) {
                v.push(FieldError::new("assessed_on", "after_later_assessment", "the baseline comes before the other assessments"));
            }
        }
        AssessmentKind::Interim | AssessmentKind::Final => {
            if baseline.is_none_or(|b| new.assessed_on < b) {
                v.push(FieldError::new("assessed_on", "before_baseline", "record the baseline first; later assessments come on or after it"));
            }
            if new.kind == AssessmentKind::Interim && last.is_some_and(|f| new.assessed_on > f) {
                v.push(FieldError::new("assessed_on", "after_final", "an interim assessment comes before the final one"));
            }
            if new.kind == AssessmentKind::Final && next.iter().any(|a| a.kind == AssessmentKind::Interim && a.assessed_on > new.assessed_on) {
                v.push(FieldError::new("assessed_on", "before_interim", "the final assessment comes after the interim ones"));
            }
        }
    }
    v.into_result()?;
    next.push(new);
    next.sort_by_key(|a| (a.assessed_on, a.kind != AssessmentKind::Baseline, a.kind == AssessmentKind::Final));
    Ok(next)
}

/// How much a criterion improved on `as_of`: its latest interim or final assessment on or
/// before that day (the final one wins on the same day) minus its baseline; `None` while
/// either is missing.
pub fn improvement(assessments: &[Assessment], as_of: NaiveDate) -> Option<i32> {
    let known = || assessments.iter().filter(|a| a.assessed_on <= as_of);
    let baseline = known().find(|a| a.kind == AssessmentKind::Baseline)?;
    let latest = known().filter(|a| a.kind != AssessmentKind::Baseline).max_by_key(|a| (a.assessed_on, a.kind == AssessmentKind::Final))?;
    Some(latest.score - baseline.score)
}

/// A participatory procedure the unit applied on its own, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipatoryData {
    pub applied_on: NaiveDate,
    pub title: String,
    /// What shows it (minutes, a published invitation, a report).
    pub evidence: String,
}

impl ParticipatoryData {
    pub fn validate(mut self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        self.title = self.title.trim().to_owned();
        self.evidence = self.evidence.trim().to_owned();
        if self.title.is_empty() {
            v.push(FieldError::new("title", "required", "a title"));
        }
        if self.evidence.is_empty() {
            v.push(FieldError::new("evidence", "required", "what shows the unit applied it on its own"));
        }
        v.into_result()?;
        Ok(self)
    }
}

/// An analytical finding of KA03.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingData {
    pub title: String,
    pub published_on: NaiveDate,
    pub summary: Option<String>,
}

impl FindingData {
    pub fn validate(mut self) -> Result<Self, DomainError> {
        self.title = self.title.trim().to_owned();
        if self.title.is_empty() {
            return Err(DomainError::invalid("title", "required", "a title"));
        }
        Ok(self)
    }
}

/// The key activity a document belongs to: only KA01 and KA02 produce these documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DocumentActivity {
    Ka01,
    Ka02,
}

/// What a KA01/KA02 document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Plan,
    Analysis,
    Methodology,
}

/// A document of KA01/KA02, with the KA03 findings it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentData {
    pub key_activity: DocumentActivity,
    pub kind: DocumentKind,
    pub title: String,
    pub issued_on: NaiveDate,
    /// The supported unit it was made for; `None` for one of the whole project.
    pub supported_unit_id: Option<Uuid>,
    pub finding_ids: Vec<Uuid>,
}

impl DocumentData {
    pub fn validate(mut self) -> Result<Self, DomainError> {
        self.title = self.title.trim().to_owned();
        if self.title.is_empty() {
            return Err(DomainError::invalid("title", "required", "a title"));
        }
        let mut seen = Vec::new();
        self.finding_ids.retain(|id| {
            let new = !seen.contains(id);
            seen.push(*id);
            new
        });
        Ok(self)
    }
}

/// A KA04 good-practice transfer event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Forum,
    Workshop,
    ThematicConference,
}

/// Who presented at an event: an organization of the registry, or a free text naming a body
/// (never a person's name: events are read by partners).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Presenter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Time is kept in whole minutes; the API speaks hours (quarter hours at most precise).
pub const MINUTES_PER_HOUR: u32 = 60;

/// Hours as sent by a client, in minutes: more than 0, at most 24, in quarter hours.
pub fn minutes_of_hours(field: &str, hours: f64) -> Result<u32, FieldError> {
    let quarters = hours * 4.0;
    if !(hours > 0.0 && hours <= 24.0) || (quarters - quarters.round()).abs() > 1e-9 {
        return Err(FieldError::new(field, "out_of_range", "more than 0 and at most 24 hours, in quarter hours (1.5, 3.25)"));
    }
    // In range and whole quarters: 1–96 quarters.
    Ok(u32::try_from(quarters.round() as i64).unwrap_or(0) * 15)
}

/// Minutes as hours, for the wire.
pub fn hours_of_minutes(minutes: u32) -> f64 {
    f64::from(minutes) / f64::from(MINUTES_PER_HOUR)
}

/// What a client sets on an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventData {
    pub kind: EventKind,
    pub title: String,
    pub held_on: NaiveDate,
    pub minutes: u32,
    pub presenters: Vec<Presenter>,
    /// Representatives of central bodies (ministries, the Labour Office's headquarters) attended.
    pub central_bodies_attended: bool,
    /// The event presented data and recommendations (from KA03's findings).
    pub presents_data_and_recommendations: bool,
}

impl EventData {
    pub fn validate(mut self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        self.title = self.title.trim().to_owned();
        if self.title.is_empty() {
            v.push(FieldError::new("title", "required", "a title"));
        }
        for (i, p) in self.presenters.iter_mut().enumerate() {
            p.name = p.name.take().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            if p.organization_id.is_none() == p.name.is_none() {
                v.push(FieldError::new(format!("presenters[{i}]"), "one_of", "an organization_id or a name of a body, not both"));
            }
        }
        v.into_result()?;
        Ok(self)
    }
}

/// One unit's social-inclusion manager at an event: who (a person of the registry) and how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    pub supported_unit_id: Uuid,
    pub person_id: Uuid,
    pub minutes: u32,
}

/// Records a unit's attendance at an event (replacing the unit's earlier record): no longer
/// than the event.
pub fn record_attendance(event: &EventData, current: &[Attendance], new: Attendance) -> Result<Vec<Attendance>, DomainError> {
    if new.minutes > event.minutes {
        return Err(DomainError::invalid("hours", "longer_than_event", "a manager attends at most the event's hours"));
    }
    let mut next: Vec<Attendance> = current.iter().filter(|a| a.supported_unit_id != new.supported_unit_id).cloned().collect();
    next.push(new);
    Ok(next)
}

// ---------------------------------------------------------------------------------------
// The five indicators.

/// A supported unit's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFacts {
    pub id: Uuid,
    pub joined_on: NaiveDate,
    /// Each criterion's assessments.
    pub criteria: Vec<Vec<Assessment>>,
    /// The days it applied participatory procedures on its own.
    pub participatory: Vec<NaiveDate>,
}

/// A KA01/KA02 document's facts: its day, and the days of the findings it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFacts {
    pub issued_on: NaiveDate,
    pub findings_published_on: Vec<NaiveDate>,
}

/// A KA04 event's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFacts {
    pub kind: EventKind,
    pub held_on: NaiveDate,
    pub central_bodies_attended: bool,
    pub presents_data_and_recommendations: bool,
    pub attendance: Vec<Attendance>,
}

/// Everything the indicators are computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub units: Vec<UnitFacts>,
    pub documents: Vec<DocumentFacts>,
    pub events: Vec<EventFacts>,
}

/// Whether an indicator is a share (in per cent) or a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IndicatorUnit {
    Percent,
    Count,
}

/// One target indicator on a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorResult {
    /// `1` … `5`, the project's numbering.
    pub code: String,
    pub title: String,
    pub unit: IndicatorUnit,
    pub numerator: u32,
    /// What a share is taken of (`null` for a count).
    pub denominator: Option<u32>,
    /// The share in per cent (rounded to two decimals), or the count; `null` for a share of
    /// nothing (a zero denominator), which is never met.
    pub value: Option<f64>,
    /// The target: per cent for a share, a number for a count; met when the value reaches it.
    pub target: u32,
    pub met: bool,
}

fn share(code: &str, title: &str, numerator: usize, denominator: usize, target: u32) -> IndicatorResult {
    let (n, d) = (u32::try_from(numerator).unwrap_or(u32::MAX), u32::try_from(denominator).unwrap_or(u32::MAX));
    let value = (d > 0).then(|| (f64::from(n) * 10_000.0 / f64::from(d)).round() / 100.0);
    // Compared in integers, so that 3 of 4 meets 75 % exactly.
    let met = d > 0 && u64::from(n) * 100 >= u64::from(target) * u64::from(d);
    IndicatorResult { code: code.into(), title: title.into(), unit: IndicatorUnit::Percent, numerator: n, denominator: Some(d), value, target, met }
}

/// Per cent of units that must raise their competence (indicator 1).
pub const TARGET_COMPETENCE: u32 = 75;
/// Per cent of units applying participatory procedures on their own (indicator 2).
pub const TARGET_PARTICIPATORY: u32 = 30;
/// Per cent of KA01/KA02 documents referencing KA03 findings (indicator 3).
pub const TARGET_REFERENCING: u32 = 60;
/// Workshops and thematic conferences presenting data and recommendations to central bodies (4).
pub const TARGET_CENTRAL_EVENTS: u32 = 2;
/// Per cent of managers with enough good-practice transfer (indicator 5).
pub const TARGET_MANAGERS: u32 = 75;
/// The hours of good-practice transfer a manager needs (indicator 5), in minutes.
pub const MANAGER_MINUTES: u32 = 14 * MINUTES_PER_HOUR;

/// The five target indicators of "Rozvoj systémů" on `as_of`; records dated after that day
/// are ignored. The units counted are those that joined on or before the day.
/// 1. units whose competence rose by the project's [`CompetenceRule`] / units; ≥ 75 %;
/// 2. units with at least one participatory procedure applied on their own / units; ≥ 30 %;
/// 3. documents referencing at least one finding published by the day / documents; ≥ 60 %;
/// 4. workshops and thematic conferences (not fora) that central bodies attended and that
///    presented data and recommendations: a count, ≥ 2;
/// 5. units whose social-inclusion manager attended ≥ 14 hours of KA04 events (all kinds,
///    summed over the unit's attendance records) / units; ≥ 75 %.
///
/// A share of no units or no documents (a zero denominator) has no value and is not met.
pub fn indicators(rule: CompetenceRule, facts: &Facts, as_of: NaiveDate) -> Vec<IndicatorResult> {
    let units: Vec<&UnitFacts> = facts.units.iter().filter(|u| u.joined_on <= as_of).collect();
    let raised = units.iter().filter(|u| rule.raised(&u.criteria.iter().map(|c| improvement(c, as_of)).collect::<Vec<_>>())).count();
    let participating = units.iter().filter(|u| u.participatory.iter().any(|d| *d <= as_of)).count();
    let documents: Vec<&DocumentFacts> = facts.documents.iter().filter(|d| d.issued_on <= as_of).collect();
    let referencing = documents.iter().filter(|d| d.findings_published_on.iter().any(|f| *f <= as_of)).count();
    let events: Vec<&EventFacts> = facts.events.iter().filter(|e| e.held_on <= as_of).collect();
    let central = events.iter().filter(|e| e.kind != EventKind::Forum && e.central_bodies_attended && e.presents_data_and_recommendations).count();
    let trained = units
        .iter()
        .filter(|u| {
            let minutes: u32 = events.iter().flat_map(|e| &e.attendance).filter(|a| a.supported_unit_id == u.id).map(|a| a.minutes).sum();
            minutes >= MANAGER_MINUTES
        })
        .count();
    let central_count = u32::try_from(central).unwrap_or(u32::MAX);
    vec![
        share("1", "Units that raised their competence in managing social inclusion", raised, units.len(), TARGET_COMPETENCE),
        share("2", "Units applying participatory procedures on their own", participating, units.len(), TARGET_PARTICIPATORY),
        share("3", "KA01/KA02 documents referencing KA03 analytical findings", referencing, documents.len(), TARGET_REFERENCING),
        IndicatorResult {
            code: "4".into(),
            title: "Thematic conferences and workshops presenting data and recommendations to central bodies".into(),
            unit: IndicatorUnit::Count,
            numerator: central_count,
            denominator: None,
            value: Some(f64::from(central_count)),
            target: TARGET_CENTRAL_EVENTS,
            met: central_count >= TARGET_CENTRAL_EVENTS,
        },
        share("5", "Social-inclusion managers with at least 14 hours of good-practice transfer", trained, units.len(), TARGET_MANAGERS),
    ]
}

/// A support project's indicators on a day, as `GET /support-projects/{id}/indicators` answers
/// them (and as pages draw them).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorReport {
    pub support_project_id: Uuid,
    pub registration_number: String,
    pub title: String,
    /// The day the indicators are computed for: records dated after it are ignored.
    pub as_of: NaiveDate,
    /// The project's rule for indicator 1.
    pub competence_rule: CompetenceRule,
    /// Indicators 1–5, in order.
    pub indicators: Vec<IndicatorResult>,
}

/// The thematic areas as codes, for storage.
pub fn area_codes(areas: &[ThematicArea]) -> Vec<&'static str> {
    areas.iter().map(|a| a.code()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn a(kind: AssessmentKind, on: NaiveDate, score: i32) -> Assessment {
        Assessment { kind, assessed_on: on, score, note: None }
    }

    fn criterion() -> CriterionData {
        CriterionData { title: "Koncepce bydlení".into(), scale_min: 1, scale_max: 5, description: None }
    }

    #[test]
    fn the_competence_rule_by_share_and_by_count() {
        let share = CompetenceRule::ShareOfCriteria { min_share_percent: 50, min_points: 1 };
        assert!(share.raised(&[Some(1), Some(0)]));
        assert!(!share.raised(&[Some(1), Some(0), None]));
        assert!(share.raised(&[Some(2), Some(1), None]));
        assert!(!share.raised(&[]), "a unit without criteria never raises its competence");
        let strict = CompetenceRule::ShareOfCriteria { min_share_percent: 50, min_points: 2 };
        assert!(!strict.raised(&[Some(1), Some(1)]));
        let count = CompetenceRule::CountOfCriteria { min_criteria: 2, min_points: 1 };
        assert!(count.raised(&[Some(1), Some(3), Some(-1)]));
        assert!(!count.raised(&[Some(1), None, Some(0)]));
        assert!(!count.raised(&[]));
    }

    #[test]
    fn the_rule_is_data_and_checked() {
        let json = serde_json::json!({"kind": "count_of_criteria", "min_criteria": 2, "min_points": 1});
        assert_eq!(serde_json::from_value::<CompetenceRule>(json).unwrap(), CompetenceRule::CountOfCriteria { min_criteria: 2, min_points: 1 });
        let mut v = Violations::new();
        CompetenceRule::ShareOfCriteria { min_share_percent: 0, min_points: 0 }.check(&mut v);
        assert_eq!(v.into_result().unwrap_err().to_string(), "the request breaks 2 rule(s)");
    }

    #[test]
    fn improvement_compares_the_latest_assessment_with_the_baseline() {
        let list = [a(AssessmentKind::Baseline, d(2023, 3, 1), 2), a(AssessmentKind::Interim, d(2024, 3, 1), 3), a(AssessmentKind::Final, d(2025, 2, 1), 5)];
        assert_eq!(improvement(&list, d(2023, 2, 1)), None);
        assert_eq!(improvement(&list, d(2023, 6, 1)), None, "nothing to compare with yet");
        assert_eq!(improvement(&list, d(2024, 3, 1)), Some(1));
        assert_eq!(improvement(&list, d(2025, 2, 1)), Some(3));
        assert_eq!(improvement(&list[1..], d(2025, 2, 1)), None, "no baseline");
    }

    #[test]
    fn assessments_stay_on_the_scale_and_in_order() {
        let c = criterion();
        let start = record_assessment(&c, &[], a(AssessmentKind::Baseline, d(2023, 3, 1), 2)).unwrap();
        let err = |r: Result<Vec<Assessment>, DomainError>| match r {
            Err(DomainError::Invalid(e)) => e[0].code.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(err(record_assessment(&c, &start, a(AssessmentKind::Final, d(2025, 1, 1), 6))), "out_of_range");
        assert_eq!(err(record_assessment(&c, &[], a(AssessmentKind::Interim, d(2024, 1, 1), 3))), "before_baseline");
        assert_eq!(err(record_assessment(&c, &start, a(AssessmentKind::Interim, d(2023, 1, 1), 3))), "before_baseline");
        let two = record_assessment(&c, &start, a(AssessmentKind::Final, d(2025, 1, 1), 4)).unwrap();
        assert_eq!(err(record_assessment(&c, &two, a(AssessmentKind::Interim, d(2025, 6, 1), 3))), "after_final");
        // A second final replaces the first; an interim per day.
        let replaced = record_assessment(&c, &two, a(AssessmentKind::Final, d(2025, 1, 2), 5)).unwrap();
        assert_eq!(replaced.len(), 2);
        assert_eq!(replaced[1].score, 5);
        let with_interim = record_assessment(&c, &replaced, a(AssessmentKind::Interim, d(2024, 1, 1), 3)).unwrap();
        assert_eq!(with_interim.iter().map(|x| x.kind).collect::<Vec<_>>(), [AssessmentKind::Baseline, AssessmentKind::Interim, AssessmentKind::Final]);
        // A criterion's scale cannot shrink below its assessments.
        let narrow = CriterionData { scale_max: 3, ..criterion() };
        assert!(narrow.validate(&with_interim).is_err());
    }

    #[test]
    fn a_unit_joins_within_the_project() {
        let project = SupportProjectData {
            registration_number: "CZ.03.02.02/00/22_004/0000366".into(),
            title: "Rozvoj systémů".into(),
            programme: "OPZ+".into(),
            start_on: d(2023, 1, 1),
            end_on: d(2025, 6, 30),
            key_activities: vec![],
            competence_rule: CompetenceRule::default(),
            note: None,
        };
        let unit = |joined_on| SupportedUnitData {
            territorial_unit_id: Uuid::nil(),
            cooperation_id: None,
            joined_on,
            description_agreed_on: None,
            scope: None,
            thematic_areas: vec![],
            note: None,
        };
        assert!(check_joined(&project, &unit(d(2023, 1, 1))).is_ok());
        assert!(check_joined(&project, &unit(d(2025, 6, 30))).is_ok());
        assert!(check_joined(&project, &unit(d(2022, 12, 31))).is_err());
        assert!(check_joined(&project, &unit(d(2025, 7, 1))).is_err());
    }

    #[test]
    fn hours_are_quarter_hours() {
        assert_eq!(minutes_of_hours("hours", 14.0), Ok(840));
        assert_eq!(minutes_of_hours("hours", 3.25), Ok(195));
        for bad in [0.0, -1.0, 3.1, 24.25, f64::NAN] {
            assert!(minutes_of_hours("hours", bad).is_err(), "{bad}");
        }
        assert!((hours_of_minutes(195) - 3.25).abs() < f64::EPSILON);
    }

    #[test]
    fn presenters_are_an_organization_or_a_body() {
        let event = |presenters| EventData {
            kind: EventKind::Workshop,
            title: "Workshop".into(),
            held_on: d(2024, 1, 1),
            minutes: 240,
            presenters,
            central_bodies_attended: false,
            presents_data_and_recommendations: false,
        };
        assert!(event(vec![Presenter { organization_id: None, name: Some("MPSV".into()) }]).validate().is_ok());
        assert!(event(vec![Presenter { organization_id: None, name: Some(" ".into()) }]).validate().is_err());
        assert!(event(vec![Presenter { organization_id: Some(Uuid::nil()), name: Some("MPSV".into()) }]).validate().is_err());
        let e = event(vec![]);
        let one = Attendance { supported_unit_id: Uuid::from_u128(1), person_id: Uuid::from_u128(2), minutes: 240 };
        let list = record_attendance(&e, &[], one.clone()).unwrap();
        let again = record_attendance(&e, &list, Attendance { minutes: 120, ..one.clone() }).unwrap();
        assert_eq!(again.len(), 1);
        assert!(record_attendance(&e, &list, Attendance { minutes: 241, ..one }).is_err());
    }

    #[test]
    fn registration_number_key_activities_and_dates() {
        let data = SupportProjectData {
            registration_number: "CZ.03.02.02/00/22_004/0000366".into(),
            title: "Rozvoj systémů pro sociální začleňování".into(),
            programme: "OPZ+".into(),
            start_on: d(2023, 1, 1),
            end_on: d(2025, 12, 31),
            key_activities: vec![KeyActivity { code: "ka01".into(), title: "Podpora".into() }],
            competence_rule: CompetenceRule::default(),
            note: None,
        };
        let ok = data.clone().validate(Some(ProgrammingPeriod::Period2021To2027)).unwrap();
        assert_eq!(ok.key_activities[0].code, "KA01");
        let fields = |r: Result<SupportProjectData, DomainError>| match r {
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(fields(data.clone().validate(Some(ProgrammingPeriod::Period2014To2020))), [("registration_number".into(), "format".into())]);
        assert_eq!(fields(data.clone().validate(None)), [("programme".into(), "not_found".into())]);
        let bad = SupportProjectData {
            end_on: d(2022, 1, 1),
            key_activities: vec![KeyActivity { code: "A1".into(), title: "x".into() }, KeyActivity { code: "A1".into(), title: "".into() }],
            ..data
        };
        let got = fields(bad.validate(Some(ProgrammingPeriod::Period2021To2027)));
        let codes: Vec<&str> = got.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(codes, ["before_start", "format", "format", "required", "duplicate"]);
    }

    /// A small project, by hand: four units (the fourth joins later), seven documents, events.
    fn facts() -> Facts {
        let (u1, u2, u3, u4) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3), Uuid::from_u128(4));
        let crit = |base: i32, later: i32, on: NaiveDate| vec![a(AssessmentKind::Baseline, d(2023, 3, 1), base), a(AssessmentKind::Final, on, later)];
        let end = d(2025, 1, 31);
        let unit = |id, joined_on, criteria, participatory| UnitFacts { id, joined_on, criteria, participatory };
        let attend = |unit, hours: u32| Attendance { supported_unit_id: unit, person_id: Uuid::from_u128(100), minutes: hours * 60 };
        Facts {
            units: vec![
                // Two of two criteria improved: raised.
                unit(u1, d(2023, 2, 1), vec![crit(1, 3, end), crit(2, 3, end)], vec![d(2024, 5, 1)]),
                // One of two: raised (50 %).
                unit(u2, d(2023, 2, 1), vec![crit(1, 2, end), crit(2, 2, end)], vec![]),
                // None improved: not raised.
                unit(u3, d(2023, 2, 1), vec![crit(3, 3, end)], vec![d(2025, 6, 1)]),
                // Joins after the day the test asks about first.
                unit(u4, d(2024, 9, 1), vec![], vec![]),
            ],
            documents: vec![
                DocumentFacts { issued_on: d(2023, 6, 1), findings_published_on: vec![d(2023, 5, 1)] },
                DocumentFacts { issued_on: d(2023, 7, 1), findings_published_on: vec![] },
                DocumentFacts { issued_on: d(2024, 1, 1), findings_published_on: vec![d(2023, 12, 1), d(2023, 5, 1)] },
                DocumentFacts { issued_on: d(2025, 3, 1), findings_published_on: vec![d(2025, 2, 1)] },
            ],
            events: vec![
                // Counts for 4: workshop, central bodies, data.
                EventFacts {
                    kind: EventKind::Workshop,
                    held_on: d(2023, 10, 1),
                    central_bodies_attended: true,
                    presents_data_and_recommendations: true,
                    attendance: vec![attend(u1, 8), attend(u2, 8), attend(u3, 4)],
                },
                // A forum never counts for 4.
                EventFacts {
                    kind: EventKind::Forum,
                    held_on: d(2024, 4, 1),
                    central_bodies_attended: true,
                    presents_data_and_recommendations: true,
                    attendance: vec![attend(u1, 6), attend(u2, 5), attend(u3, 6)],
                },
                // No central bodies: does not count for 4.
                EventFacts {
                    kind: EventKind::ThematicConference,
                    held_on: d(2024, 11, 1),
                    central_bodies_attended: false,
                    presents_data_and_recommendations: true,
                    attendance: vec![attend(u2, 1), attend(u4, 8)],
                },
                EventFacts {
                    kind: EventKind::ThematicConference,
                    held_on: d(2025, 2, 15),
                    central_bodies_attended: true,
                    presents_data_and_recommendations: true,
                    attendance: vec![attend(u3, 6), attend(u4, 8)],
                },
            ],
        }
    }

    fn values(r: &[IndicatorResult]) -> Vec<(u32, Option<u32>, bool)> {
        r.iter().map(|i| (i.numerator, i.denominator, i.met)).collect()
    }

    #[test]
    fn the_five_indicators_by_hand() {
        let rule = CompetenceRule::default();
        // On 2024-06-30: units u1–u3 (u4 joins in September). No final assessments yet: 0/3.
        // Participatory: u1 (May 2024): 1/3 = 33.33 % ≥ 30. Documents: 3 issued, 2 reference
        // a finding: 66.67 % ≥ 60. Central events: the October workshop: 1 < 2. Managers:
        // u1 8+6 = 14 h ✓, u2 8+5 = 13 h, u3 4+6 = 10 h: 1/3.
        let mid = indicators(rule, &facts(), d(2024, 6, 30));
        assert_eq!(values(&mid), [(0, Some(3), false), (1, Some(3), true), (2, Some(3), true), (1, None, false), (1, Some(3), false)]);
        assert_eq!(mid[1].value, Some(33.33));
        assert_eq!(mid[2].value, Some(66.67));
        // On 2025-12-31: four units. Competence: u1 (2/2), u2 (1/2 = 50 %) raised; u3 and u4
        // (no criteria) not: 2/4 = 50 %. Participatory: u1, u3: 2/4 = 50 %. Documents: 3 of
        // 4. Central: workshop + February conference = 2 ✓. Managers: u1 14 ✓, u2 14 ✓,
        // u3 16 ✓, u4 16 ✓: 4/4.
        let end = indicators(rule, &facts(), d(2025, 12, 31));
        assert_eq!(values(&end), [(2, Some(4), false), (2, Some(4), true), (3, Some(4), true), (2, None, true), (4, Some(4), true)]);
        assert_eq!(end[0].value, Some(50.0));
        assert_eq!(end[3].value, Some(2.0));
        // By count: u1 alone has two improved criteria.
        let by_count = indicators(CompetenceRule::CountOfCriteria { min_criteria: 2, min_points: 1 }, &facts(), d(2025, 12, 31));
        assert_eq!(by_count[0].numerator, 1);
    }

    #[test]
    fn a_share_of_nothing_has_no_value_and_is_not_met() {
        let none = indicators(CompetenceRule::default(), &Facts::default(), d(2024, 1, 1));
        for i in [&none[0], &none[1], &none[2], &none[4]] {
            assert_eq!((i.value, i.met, i.denominator), (None, false, Some(0)), "{}", i.code);
        }
        assert_eq!((none[3].value, none[3].met), (Some(0.0), false));
        // Exactly on the target is met: 3 of 4 is 75 %.
        assert!(share("x", "x", 3, 4, 75).met);
        assert!(!share("x", "x", 2, 3, 75).met);
    }
}
