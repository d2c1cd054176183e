//! Recruitment of localities (výběrové řízení): a round with its questionnaire, scoring
//! criteria and predefined activities on offer; candidacies of territorial units; the scores
//! of the Agency's assessors; the ranking; and the decision, which selects up to the places
//! offered and turns each selected candidacy into a cooperation.
//!
//! The rules, all here:
//! - A round's content is set while it is a `draft`; `open` needs a deadline still ahead;
//!   `close` needs the deadline passed; `decide` needs it `closed` and is final
//!   ([`advance`]).
//! - A candidacy is accepted, changed or withdrawn only while its round is open and its
//!   deadline has not passed ([`accepts_candidacies`]); its answers must fit the questionnaire
//!   ([`check_candidacy`]).
//! - Assessors score criteria in a closed round, each criterion from 0 to its maximum
//!   ([`check_scores`]). The total is computed, never typed ([`total`]): for each criterion the
//!   mean of its assessors' points times the criterion's weight, plus the points of every
//!   predefined activity the candidacy asks for (each one "scores positively").
//! - The ranking ([`rank`]) orders by total (descending); ties are broken by the weighted
//!   criteria points without the activities (descending: the assessment of the candidacy
//!   itself comes first), then by the earlier application (`created_at`), then by id, so that
//!   the order is total and stable.
//! - The decision ([`check_decision`]) selects up to the places offered from candidacies that
//!   are all fully scored; a selection that passes over a better-ranked candidacy carries a
//!   reason.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainError, FieldError, Violations};

/// A round's status: draft → open → closed → decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    Draft,
    Open,
    Closed,
    Decided,
}

impl RoundStatus {
    pub const ALL: [Self; 4] = [Self::Draft, Self::Open, Self::Closed, Self::Decided];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Decided => "decided",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == code)
    }
}

/// What the decision made of a candidacy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Selected: it became a cooperation with a partnership forming for its unit.
    Selected,
    NotSelected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Selected => "selected",
            Self::NotSelected => "not_selected",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Selected, Self::NotSelected].into_iter().find(|s| s.as_str() == code)
    }
}

/// A step of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundAction {
    Open,
    Close,
    Decide,
}

/// The status after `action` at instant `now`, or 409 with the reason.
pub fn advance(status: RoundStatus, deadline: DateTime<Utc>, action: RoundAction, now: DateTime<Utc>) -> Result<RoundStatus, DomainError> {
    use RoundAction as A;
    use RoundStatus as S;
    match (status, action) {
        (S::Draft, A::Open) if deadline > now => Ok(S::Open),
        (S::Draft, A::Open) => Err(DomainError::Conflict("the application deadline has passed; move it ahead before opening the round".into())),
        (S::Open, A::Close) if deadline <= now => Ok(S::Closed),
        (S::Open, A::Close) => Err(DomainError::Conflict("the application deadline has not passed yet; applicants may still apply".into())),
        (S::Closed, A::Decide) => Ok(S::Decided),
        (s, a) => Err(DomainError::Conflict(format!(
            "a round that is {} cannot be {}",
            s.as_str(),
            match a {
                A::Open => "opened",
                A::Close => "closed",
                A::Decide => "decided",
            }
        ))),
    }
}

/// Whether a round takes candidacies (new ones, changes, withdrawals) at `now`: 409 otherwise.
pub fn accepts_candidacies(status: RoundStatus, deadline: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), DomainError> {
    match status {
        RoundStatus::Open if now <= deadline => Ok(()),
        RoundStatus::Open => Err(DomainError::Conflict(format!(
            "the application deadline ({}) has passed; candidacies are no longer accepted or changed",
            deadline.to_rfc3339()
        ))),
        RoundStatus::Draft => Err(DomainError::Conflict("the round is not open for applications yet".into())),
        RoundStatus::Closed | RoundStatus::Decided => Err(DomainError::Conflict("the round is closed; candidacies are no longer accepted or changed".into())),
    }
}

/// The type of a question of the questionnaire, and so of its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// A text answer (up to 5,000 characters).
    Text,
    /// A number.
    Number,
    /// `true` or `false`.
    YesNo,
    /// One of the question's `options`.
    Choice,
}

/// A question of a round's questionnaire. The predefined activities a candidacy asks for are
/// not a question: they are the candidacy's `activities`, from the round's `activities`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The answer's key in a candidacy's `answers` (`[a-z0-9_]`, unique in the round).
    pub key: String,
    pub text: String,
    pub kind: QuestionKind,
    /// The choices of a `choice` question (otherwise empty).
    #[serde(default)]
    pub options: Vec<String>,
    /// Whether a candidacy must answer it.
    #[serde(default)]
    pub required: bool,
}

/// A scoring criterion: assessors give 0 to `max_points`; the criterion counts `weight` times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// The criterion's key in scores (`[a-z0-9_]`, unique in the round).
    pub key: String,
    pub name: String,
    /// 1 to 10.
    pub weight: u32,
    /// 1 to 100.
    pub max_points: u32,
}

/// A predefined activity on offer (předem definovaná aktivita): asking for it adds `points`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PredefinedActivity {
    /// The activity's code in candidacies (`[a-z0-9_]`, unique in the round).
    pub code: String,
    pub name: String,
    /// 0 to 100 points added to the total of a candidacy that asks for it.
    pub points: u32,
}

/// What a client sets on a round.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundData {
    pub year: i32,
    pub title: String,
    pub places: u32,
    pub applications_until: DateTime<Utc>,
    pub cooperation_start_on: NaiveDate,
    /// The timeline template of the cooperations it results in (that it exists is checked
    /// where templates are looked up: admins define them).
    pub template: String,
    pub questions: Vec<Question>,
    pub criteria: Vec<Criterion>,
    pub activities: Vec<PredefinedActivity>,
    pub note: Option<String>,
}

fn is_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn text_len(v: &mut Violations, field: String, s: &str, max: usize) {
    if s.trim().is_empty() || s.chars().count() > max {
        v.push(FieldError::new(field, "length", format!("1 to {max} characters")));
    }
}

fn keys<'a>(v: &mut Violations, list: &str, keys: impl Iterator<Item = &'a str>) {
    let mut seen = BTreeSet::new();
    for (i, k) in keys.enumerate() {
        if !is_key(k) {
            v.push(FieldError::new(format!("{list}[{i}]"), "key", "lower-case letters, digits and `_`, 1 to 64 characters"));
        } else if !seen.insert(k) {
            v.push(FieldError::new(format!("{list}[{i}]"), "duplicate", format!("`{k}` appears twice")));
        }
    }
}

impl RoundData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if !(2000..=2100).contains(&self.year) {
            v.push(FieldError::new("year", "out_of_range", "between 2000 and 2100"));
        }
        text_len(&mut v, "title".into(), &self.title, 300);
        if !(1..=500).contains(&self.places) {
            v.push(FieldError::new("places", "out_of_range", "between 1 and 500 places"));
        }
        if self.cooperation_start_on < self.applications_until.date_naive() {
            v.push(FieldError::new("cooperation_start_on", "before_deadline", "cooperations start after the application deadline"));
        }
        keys(&mut v, "questions", self.questions.iter().map(|q| q.key.as_str()));
        for (i, q) in self.questions.iter().enumerate() {
            text_len(&mut v, format!("questions[{i}].text"), &q.text, 2000);
            match (q.kind, q.options.len()) {
                (QuestionKind::Choice, n) if n < 2 => {
                    v.push(FieldError::new(format!("questions[{i}].options"), "too_few", "a choice has at least two options"))
                }
                (QuestionKind::Choice, _) => {
                    for (j, o) in q.options.iter().enumerate() {
                        text_len(&mut v, format!("questions[{i}].options[{j}]"), o, 300);
                    }
                    if q.options.iter().collect::<BTreeSet<_>>().len() != q.options.len() {
                        v.push(FieldError::new(format!("questions[{i}].options"), "duplicate", "an option appears twice"));
                    }
                }
                (_, 0) => {}
                _ => v.push(FieldError::new(format!("questions[{i}].options"), "not_a_choice", "only a `choice` question has options")),
            }
        }
        if self.criteria.is_empty() {
            v.push(FieldError::new("criteria", "empty", "a round scores its candidacies by at least one criterion"));
        }
        keys(&mut v, "criteria", self.criteria.iter().map(|c| c.key.as_str()));
        for (i, c) in self.criteria.iter().enumerate() {
            text_len(&mut v, format!("criteria[{i}].name"), &c.name, 300);
            if !(1..=10).contains(&c.weight) {
                v.push(FieldError::new(format!("criteria[{i}].weight"), "out_of_range", "a weight from 1 to 10"));
            }
            if !(1..=100).contains(&c.max_points) {
                v.push(FieldError::new(format!("criteria[{i}].max_points"), "out_of_range", "a maximum from 1 to 100 points"));
            }
        }
        keys(&mut v, "activities", self.activities.iter().map(|a| a.code.as_str()));
        for (i, a) in self.activities.iter().enumerate() {
            text_len(&mut v, format!("activities[{i}].name"), &a.name, 300);
            if a.points > 100 {
                v.push(FieldError::new(format!("activities[{i}].points"), "out_of_range", "0 to 100 points"));
            }
        }
        v.into_result()?;
        Ok(self)
    }
}

/// The body that approved an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovingBody {
    /// Rada (the council).
    Council,
    /// Zastupitelstvo, or a union's or group's assembly.
    Assembly,
}

/// The resolution approving the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApprovingResolution {
    pub body: ApprovingBody,
    pub adopted_on: NaiveDate,
    /// The resolution's number (`usnesení č. 12/2013`).
    pub number: String,
}

/// The co-financing the unit commits to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CoFinancing {
    pub committed: bool,
    /// Whole CZK, when a sum is stated.
    #[serde(default)]
    pub amount_czk: Option<u64>,
    #[serde(default)]
    pub note: Option<String>,
}

/// What a client sets on a candidacy.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidacyData {
    pub round_id: Uuid,
    pub territorial_unit_id: Uuid,
    /// By question key: a string, a number or a boolean.
    pub answers: BTreeMap<String, serde_json::Value>,
    pub resolution: ApprovingResolution,
    /// Codes of the round's predefined activities asked for.
    pub activities: Vec<String>,
    pub co_financing: CoFinancing,
    pub note: Option<String>,
}

/// Checks a candidacy against its round: every answer to a question of the questionnaire, of
/// the question's type; every required question answered; activities on offer, once each.
pub fn check_candidacy(round: &RoundData, c: &CandidacyData) -> Result<(), DomainError> {
    use serde_json::Value;
    let mut v = Violations::new();
    for (key, answer) in &c.answers {
        let field = format!("answers.{key}");
        let Some(q) = round.questions.iter().find(|q| &q.key == key) else {
            v.push(FieldError::new(field, "unknown", "not a question of the round's questionnaire"));
            continue;
        };
        let fits = match (q.kind, answer) {
            (_, Value::Null) => true,
            (QuestionKind::Text, Value::String(s)) => {
                if s.chars().count() > 5000 {
                    v.push(FieldError::new(field.clone(), "length", "at most 5000 characters"));
                }
                true
            }
            (QuestionKind::Number, Value::Number(_)) | (QuestionKind::YesNo, Value::Bool(_)) => true,
            (QuestionKind::Choice, Value::String(s)) => {
                if !q.options.contains(s) {
                    v.push(FieldError::new(field.clone(), "not_an_option", format!("one of: {}", q.options.join(", "))));
                }
                true
            }
            _ => false,
        };
        if !fits {
            let expected = match q.kind {
                QuestionKind::Text => "a text",
                QuestionKind::Number => "a number",
                QuestionKind::YesNo => "true or false",
                QuestionKind::Choice => "one of the options, as a string",
            };
            v.push(FieldError::new(field, "type", format!("the answer is {expected}")));
        }
    }
    for q in round.questions.iter().filter(|q| q.required) {
        if c.answers.get(&q.key).is_none_or(|a| a.is_null() || a.as_str().is_some_and(|s| s.trim().is_empty())) {
            v.push(FieldError::new(format!("answers.{}", q.key), "required", "the questionnaire requires this answer"));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, code) in c.activities.iter().enumerate() {
        if !round.activities.iter().any(|a| &a.code == code) {
            v.push(FieldError::new(format!("activities[{i}]"), "unknown", "not a predefined activity on offer in this round"));
        } else if !seen.insert(code) {
            v.push(FieldError::new(format!("activities[{i}]"), "duplicate", "asked for twice"));
        }
    }
    text_len(&mut v, "resolution.number".into(), &c.resolution.number, 100);
    if c.resolution.adopted_on > round.applications_until.date_naive() {
        v.push(FieldError::new("resolution.adopted_on", "after_deadline", "the resolution approves the application, so it is adopted by the deadline"));
    }
    if c.co_financing.amount_czk.is_some() && !c.co_financing.committed {
        v.push(FieldError::new("co_financing.amount_czk", "not_committed", "a sum is stated only with a commitment"));
    }
    v.into_result()
}

/// One assessor's points for one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Score {
    /// The assessor (the token subject who scored).
    pub assessor: String,
    pub criterion: String,
    pub points: u32,
    #[serde(default)]
    pub note: Option<String>,
    pub scored_at: DateTime<Utc>,
}

/// Checks one assessor's points: known criteria, each once, none above its maximum.
pub fn check_scores(round: &RoundData, scores: &[(String, u32)]) -> Result<(), DomainError> {
    let mut v = Violations::new();
    let mut seen = BTreeSet::new();
    for (i, (key, points)) in scores.iter().enumerate() {
        match round.criteria.iter().find(|c| &c.key == key) {
            None => v.push(FieldError::new(format!("scores[{i}].criterion"), "unknown", "not a criterion of the round")),
            Some(_) if !seen.insert(key) => v.push(FieldError::new(format!("scores[{i}].criterion"), "duplicate", "scored twice")),
            Some(c) if *points > c.max_points => {
                v.push(FieldError::new(format!("scores[{i}].points"), "above_maximum", format!("criterion `{}` gives at most {} points", c.key, c.max_points)))
            }
            Some(_) => {}
        }
    }
    if scores.is_empty() {
        v.push(FieldError::new("scores", "empty", "score at least one criterion"));
    }
    v.into_result()
}

/// A criterion's result on a candidacy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CriterionResult {
    pub criterion: String,
    /// How many assessors scored it.
    pub assessors: u32,
    /// The mean of their points (`null` when none scored it).
    pub mean_points: Option<f64>,
    /// `mean_points × weight` (0 when none scored it).
    pub weighted: f64,
}

/// A candidacy's computed total.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Total {
    pub criteria: Vec<CriterionResult>,
    /// The sum of the weighted criteria.
    pub criteria_points: f64,
    /// The points of the predefined activities asked for.
    pub activity_points: u32,
    /// `criteria_points + activity_points`, rounded to two decimals.
    pub total: f64,
    /// Whether every criterion has at least one assessor's points.
    pub fully_scored: bool,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The total of a candidacy: per criterion the mean of its assessors' points times its
/// weight, plus the points of each predefined activity asked for.
pub fn total(round: &RoundData, activities: &[String], scores: &[Score]) -> Total {
    let mut criteria = Vec::with_capacity(round.criteria.len());
    let mut sum = 0.0;
    for c in &round.criteria {
        let points: Vec<u32> = scores.iter().filter(|s| s.criterion == c.key).map(|s| s.points).collect();
        let n = u32::try_from(points.len()).unwrap_or(u32::MAX);
        let mean = (n > 0).then(|| f64::from(points.iter().sum::<u32>()) / f64::from(n));
        let weighted = mean.map_or(0.0, |m| m * f64::from(c.weight));
        sum += weighted;
        criteria.push(CriterionResult { criterion: c.key.clone(), assessors: n, mean_points: mean.map(round2), weighted: round2(weighted) });
    }
    let activity_points = round.activities.iter().filter(|a| activities.contains(&a.code)).map(|a| a.points).sum();
    let fully_scored = criteria.iter().all(|c| c.assessors > 0);
    Total { criteria, criteria_points: round2(sum), activity_points, total: round2(sum + f64::from(activity_points)), fully_scored }
}

/// A candidacy as the ranking sees it.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub total: Total,
}

/// Orders candidacies best first: total, then criteria points, then the earlier application,
/// then id (the module's rule).
pub fn rank(mut list: Vec<Ranked>) -> Vec<Ranked> {
    list.sort_by(|a, b| {
        b.total
            .total
            .total_cmp(&a.total.total)
            .then(b.total.criteria_points.total_cmp(&a.total.criteria_points))
            .then(a.created_at.cmp(&b.created_at))
            .then(a.id.cmp(&b.id))
    });
    list
}

/// One selected candidacy of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Selection {
    pub candidacy_id: Uuid,
    /// Why it is selected over a better-ranked candidacy (required then).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Checks a decision against the ranking (best first): at most `places`, each a candidacy of
/// the round once, every candidacy fully scored, and a reason on each selection that passes
/// over a better-ranked candidacy left out. Returns the selections' rank positions (1-based).
pub fn check_decision(places: u32, ranking: &[Ranked], selections: &[Selection]) -> Result<Vec<u32>, DomainError> {
    let mut v = Violations::new();
    if u32::try_from(selections.len()).unwrap_or(u32::MAX) > places {
        v.push(FieldError::new("selections", "too_many", format!("the round offers {places} places")));
    }
    if let Some(unscored) = ranking.iter().find(|r| !r.total.fully_scored) {
        return Err(DomainError::Conflict(format!(
            "candidacy {} is not fully scored yet: every criterion needs an assessor's points before the decision",
            unscored.id
        )));
    }
    let chosen: BTreeSet<Uuid> = selections.iter().map(|s| s.candidacy_id).collect();
    let mut positions = Vec::with_capacity(selections.len());
    let mut seen = BTreeSet::new();
    for (i, s) in selections.iter().enumerate() {
        let Some(pos) = ranking.iter().position(|r| r.id == s.candidacy_id) else {
            v.push(FieldError::new(format!("selections[{i}].candidacy_id"), "unknown", "not a candidacy of this round"));
            continue;
        };
        if !seen.insert(s.candidacy_id) {
            v.push(FieldError::new(format!("selections[{i}].candidacy_id"), "duplicate", "selected twice"));
        }
        let passes_over = ranking[..pos].iter().any(|better| !chosen.contains(&better.id));
        let reason = s.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if passes_over && reason.is_none() {
            v.push(FieldError::new(
                format!("selections[{i}].reason"),
                "required",
                format!("ranked {}: it passes over a better-ranked candidacy, so say why it is selected", pos + 1),
            ));
        }
        positions.push(u32::try_from(pos + 1).unwrap_or(u32::MAX));
    }
    v.into_result()?;
    Ok(positions)
}

/// The partnership a selected candidacy's unit forms (created in status `forming`).
pub fn forming_partnership(territorial_unit_id: Uuid, unit_name: &str) -> Result<crate::registry::PartnershipData, DomainError> {
    crate::registry::PartnershipData {
        external_ref: None,
        name: format!("Lokální partnerství {unit_name}"),
        territorial_unit_ids: vec![territorial_unit_id],
        established_on: None,
        memorandum_signed_on: None,
        founding_act: None,
        consultant_ids: vec![],
    }
    .validate()
}

/// The cooperation a selected candidacy starts with `partnership_id`: from the round's
/// cooperation start, on its template and for the template's months (filled in where the
/// template is looked up), with the names of the predefined activities the candidacy asked for.
pub fn cooperation_for(round: &RoundData, partnership_id: Uuid, asked: &[String]) -> crate::cooperation::CooperationRequest {
    crate::cooperation::CooperationRequest {
        partnership_id,
        start_on: round.cooperation_start_on,
        months: None,
        template: round.template.clone(),
        predefined_activities: round.activities.iter().filter(|a| asked.contains(&a.code)).map(|a| a.name.clone()).collect(),
        consultant_ids: vec![],
        note: Some(format!("Selected in the recruitment round “{}” ({}).", round.title, round.year)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn round() -> RoundData {
        RoundData {
            year: 2014,
            title: "Nábor nových lokalit 2014".into(),
            places: 2,
            applications_until: at(2013, 9, 30),
            cooperation_start_on: NaiveDate::from_ymd_opt(2014, 7, 1).unwrap(),
            template: "standard_36".into(),
            questions: vec![
                Question { key: "motivation".into(), text: "Proč?".into(), kind: QuestionKind::Text, options: vec![], required: true },
                Question { key: "svl_count".into(), text: "Počet SVL".into(), kind: QuestionKind::Number, options: vec![], required: false },
                Question {
                    key: "size".into(),
                    text: "Velikost".into(),
                    kind: QuestionKind::Choice,
                    options: vec!["malá".into(), "velká".into()],
                    required: false,
                },
            ],
            criteria: vec![
                Criterion { key: "motivation".into(), name: "Motivace".into(), weight: 2, max_points: 10 },
                Criterion { key: "need".into(), name: "Potřebnost".into(), weight: 1, max_points: 20 },
            ],
            activities: vec![
                PredefinedActivity { code: "employment".into(), name: "Prostupné zaměstnávání".into(), points: 3 },
                PredefinedActivity { code: "housing".into(), name: "Sociální bydlení".into(), points: 2 },
            ],
            note: None,
        }
        .validate()
        .unwrap()
    }

    fn score(assessor: &str, criterion: &str, points: u32) -> Score {
        Score { assessor: assessor.into(), criterion: criterion.into(), points, note: None, scored_at: at(2013, 10, 1) }
    }

    fn codes(e: DomainError) -> Vec<(String, String)> {
        match e {
            DomainError::Invalid(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
            DomainError::Conflict(m) => vec![("".into(), m)],
        }
    }

    #[test]
    fn a_round_goes_draft_open_closed_decided_and_only_when_its_deadline_allows() {
        let deadline = at(2013, 9, 30);
        let (before, after) = (at(2013, 9, 1), at(2013, 10, 1));
        assert_eq!(advance(RoundStatus::Draft, deadline, RoundAction::Open, before).unwrap(), RoundStatus::Open);
        assert!(advance(RoundStatus::Draft, deadline, RoundAction::Open, after).is_err());
        assert!(advance(RoundStatus::Open, deadline, RoundAction::Close, before).is_err());
        assert_eq!(advance(RoundStatus::Open, deadline, RoundAction::Close, after).unwrap(), RoundStatus::Closed);
        assert!(advance(RoundStatus::Open, deadline, RoundAction::Decide, after).is_err());
        assert_eq!(advance(RoundStatus::Closed, deadline, RoundAction::Decide, after).unwrap(), RoundStatus::Decided);
        assert!(advance(RoundStatus::Decided, deadline, RoundAction::Decide, after).is_err());
        assert!(accepts_candidacies(RoundStatus::Open, deadline, deadline).is_ok());
        assert!(accepts_candidacies(RoundStatus::Open, deadline, after).is_err());
        assert!(accepts_candidacies(RoundStatus::Draft, deadline, before).is_err());
        assert!(accepts_candidacies(RoundStatus::Closed, deadline, before).is_err());
    }

    #[test]
    fn a_round_names_its_keys_once_and_scores_by_something() {
        let mut r = round();
        r.criteria.clear();
        r.questions.push(r.questions[0].clone());
        r.questions[1].options = vec!["x".into()];
        let found = codes(r.validate().unwrap_err());
        assert!(found.contains(&("criteria".into(), "empty".into())), "{found:?}");
        assert!(found.contains(&("questions[3]".into(), "duplicate".into())), "{found:?}");
        assert!(found.contains(&("questions[1].options".into(), "not_a_choice".into())), "{found:?}");
    }

    fn candidacy(answers: serde_json::Value, activities: &[&str]) -> CandidacyData {
        CandidacyData {
            round_id: Uuid::nil(),
            territorial_unit_id: Uuid::nil(),
            answers: serde_json::from_value(answers).unwrap(),
            resolution: ApprovingResolution {
                body: ApprovingBody::Assembly,
                adopted_on: NaiveDate::from_ymd_opt(2013, 9, 12).unwrap(),
                number: "12/2013".into(),
            },
            activities: activities.iter().map(|a| (*a).to_owned()).collect(),
            co_financing: CoFinancing { committed: true, amount_czk: Some(100_000), note: None },
            note: None,
        }
    }

    #[test]
    fn answers_fit_the_questionnaire() {
        let r = round();
        assert!(check_candidacy(&r, &candidacy(serde_json::json!({"motivation": "Chceme", "svl_count": 2, "size": "malá"}), &["employment"])).is_ok());
        let found = codes(
            check_candidacy(&r, &candidacy(serde_json::json!({"svl_count": "two", "size": "střední", "extra": 1}), &["nope", "employment", "employment"]))
                .unwrap_err(),
        );
        for expected in [
            ("answers.motivation", "required"),
            ("answers.svl_count", "type"),
            ("answers.size", "not_an_option"),
            ("answers.extra", "unknown"),
            ("activities[0]", "unknown"),
            ("activities[2]", "duplicate"),
        ] {
            assert!(found.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {found:?}");
        }
    }

    #[test]
    fn scores_stay_within_each_criterion() {
        let r = round();
        assert!(check_scores(&r, &[("motivation".into(), 10), ("need".into(), 20)]).is_ok());
        let found = codes(check_scores(&r, &[("motivation".into(), 11), ("need".into(), 1), ("need".into(), 2), ("x".into(), 1)]).unwrap_err());
        assert_eq!(
            found,
            [
                ("scores[0].points".to_owned(), "above_maximum".to_owned()),
                ("scores[2].criterion".to_owned(), "duplicate".to_owned()),
                ("scores[3].criterion".to_owned(), "unknown".to_owned())
            ]
        );
    }

    #[test]
    fn the_total_is_the_weighted_mean_plus_the_activities() {
        let r = round();
        // motivation: (8 + 7) / 2 = 7.5 × 2 = 15; need: 12 × 1 = 12; activities: 3 + 2 = 5.
        let t = total(&r, &["employment".into(), "housing".into()], &[score("a", "motivation", 8), score("b", "motivation", 7), score("a", "need", 12)]);
        assert_eq!((t.criteria_points, t.activity_points, t.total, t.fully_scored), (27.0, 5, 32.0, true));
        assert_eq!(t.criteria[0].mean_points, Some(7.5));
        let partial = total(&r, &[], &[score("a", "motivation", 8)]);
        assert_eq!((partial.total, partial.fully_scored), (16.0, false));
        assert_eq!(partial.criteria[1].mean_points, None);
    }

    fn ranked(id: u128, day: u32, criteria: f64, activities: u32) -> Ranked {
        let t = Total { criteria: vec![], criteria_points: criteria, activity_points: activities, total: criteria + f64::from(activities), fully_scored: true };
        Ranked { id: Uuid::from_u128(id), created_at: at(2013, 9, day), total: t }
    }

    #[test]
    fn ties_go_to_the_better_assessment_then_the_earlier_application() {
        let order: Vec<u128> =
            rank(vec![ranked(1, 5, 20.0, 5), ranked(2, 3, 25.0, 0), ranked(3, 2, 20.0, 5), ranked(4, 1, 10.0, 0)]).iter().map(|r| r.id.as_u128()).collect();
        assert_eq!(order, [2, 3, 1, 4]);
    }

    #[test]
    fn a_decision_follows_the_ranking_or_says_why() {
        let ranking = rank(vec![ranked(1, 1, 30.0, 0), ranked(2, 1, 20.0, 0), ranked(3, 1, 10.0, 0)]);
        let pick = |id: u128, reason: Option<&str>| Selection { candidacy_id: Uuid::from_u128(id), reason: reason.map(str::to_owned) };
        assert_eq!(check_decision(2, &ranking, &[pick(1, None), pick(2, None)]).unwrap(), [1, 2]);
        let found = codes(check_decision(2, &ranking, &[pick(1, None), pick(3, None)]).unwrap_err());
        assert_eq!(found, [("selections[1].reason".to_owned(), "required".to_owned())]);
        assert_eq!(check_decision(2, &ranking, &[pick(1, None), pick(3, Some("Predefined measure ready"))]).unwrap(), [1, 3]);
        let found = codes(check_decision(2, &ranking, &[pick(1, None), pick(2, None), pick(3, None)]).unwrap_err());
        assert_eq!(found[0], ("selections".to_owned(), "too_many".to_owned()));
        let found = codes(check_decision(2, &ranking, &[pick(9, None)]).unwrap_err());
        assert_eq!(found, [("selections[0].candidacy_id".to_owned(), "unknown".to_owned())]);
        let mut unscored = ranking.clone();
        unscored[2].total.fully_scored = false;
        assert!(matches!(check_decision(2, &unscored, &[pick(1, None)]), Err(DomainError::Conflict(_))));
    }
}
