//! A cooperation between the Agency and a partnership, and its timeline.
//!
//! A cooperation follows a **timeline template**: phases by month of cooperation. Month `n`
//! of a cooperation starting on `S` is `[S + (n−1) months, S + n months − 1 day]`. Each
//! phase's actual start and end come from what happened in the data (the partnership's
//! establishment, its analysis, its plans and evaluations, the hand-over), or from an
//! explicit milestone recorded for the phase; [`phase_state`] judges a phase on a day.
//!
//! Templates are data. Two are built in ([`BUILTINS`]): `standard_36`, the three-year
//! timeline of the 2014 recruitment of new localities, and `rozvoj_systemu_24`, an
//! *illustrative* 24-month phase list for the 2023 project "Rozvoj systémů pro sociální
//! začleňování" (the Agency published its key activities KA01–KA05, not a month-by-month
//! timeline; see [`ROZVOJ_SYSTEMU_24`]). Admins define more ([`Template::validate`]); a
//! template in use keeps its months and phases ([`check_template_change`]).

use std::borrow::Cow;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainError, FieldError, Violations};

/// Where a phase's actual dates come from, besides its milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PhaseSource))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The partnership's `established_on` (or memorandum).
    Establishment,
    /// The partnership's situational analysis: started and completed.
    Analysis,
    /// The first plan version: submitted, approved by the assembly.
    Plan,
    /// The first plan in force: its approval, until the first evaluation (or its end).
    Implementation,
    /// The first evaluation, until a revised plan's approval.
    Evaluation,
    /// The revised plan: its approval, until its end (or the hand-over).
    ImplementationAfterRevision,
    /// The cooperation's (or the partnership's) hand-over.
    Handover,
    /// Only milestones record it.
    Milestones,
}

/// One phase of a template. The built-ins' text is borrowed from the program, an admin's
/// template's owned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseTemplate {
    pub code: Cow<'static, str>,
    pub name: Cow<'static, str>,
    /// First and last month of cooperation (1-based, inclusive).
    pub from_month: u32,
    pub to_month: u32,
    pub source: Source,
    /// Included only when the cooperation committed predefined activities.
    pub only_if_committed: bool,
}

/// A timeline template: built in ([`BUILTINS`]) or defined by an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub code: Cow<'static, str>,
    pub name: Cow<'static, str>,
    pub months: u32,
    pub description: Cow<'static, str>,
    pub phases: Cow<'static, [PhaseTemplate]>,
}

const fn phase(code: &'static str, name: &'static str, from_month: u32, to_month: u32, source: Source) -> PhaseTemplate {
    PhaseTemplate { code: Cow::Borrowed(code), name: Cow::Borrowed(name), from_month, to_month, source, only_if_committed: false }
}

const STANDARD_36_PHASES: &[PhaseTemplate] = &[
    phase("establish", "Establish the local partnership", 1, 1, Source::Establishment),
    phase("situational_analysis", "Situational analysis", 2, 4, Source::Analysis),
    phase("strategic_plan", "Strategic plan", 2, 6, Source::Plan),
    PhaseTemplate {
        code: Cow::Borrowed("predefined_measure"),
        name: Cow::Borrowed("Prepare and start the predefined measure"),
        from_month: 2,
        to_month: 6,
        source: Source::Milestones,
        only_if_committed: true,
    },
    phase("implementation", "Implement the plan in the field", 7, 18, Source::Implementation),
    phase("evaluation", "Evaluate fulfilment and revise the plan", 19, 22, Source::Evaluation),
    phase("implementation_after_revision", "Implement the revised plan in the field", 23, 30, Source::ImplementationAfterRevision),
    phase("handover", "Prepare and hand over the partnership's management; sustainability", 31, 36, Source::Handover),
];

/// The standard three-year timeline of the 2014 recruitment (DOMAIN.md).
pub const STANDARD_36: Template = Template {
    code: Cow::Borrowed("standard_36"),
    name: Cow::Borrowed("Standard three-year cooperation (2014 recruitment)"),
    months: 36,
    description: Cow::Borrowed("The Agency's published three-year timeline for localities recruited in 2014."),
    phases: Cow::Borrowed(STANDARD_36_PHASES),
};

const ROZVOJ_SYSTEMU_24_PHASES: &[PhaseTemplate] = &[
    phase("description_of_cooperation", "Agree the description of cooperation, thematic areas and quality criteria", 1, 2, Source::Milestones),
    phase("situational_analysis", "Analyses (KA03)", 2, 6, Source::Analysis),
    phase("implementation", "Build the systems for social inclusion (KA01, KA02)", 4, 20, Source::Implementation),
    phase("good_practice_transfer", "Good-practice transfer: forum, workshops, conferences (KA04)", 7, 22, Source::Milestones),
    phase("evaluation", "Evaluate the quality criteria and improvement (KA05)", 21, 24, Source::Evaluation),
];

/// An **illustrative** 24-month template for "Rozvoj systémů pro sociální začleňování"
/// (2023, OPZ+). The Agency published its scope (24 months per locality, a description of
/// cooperation with thematic areas and quality criteria set at the start and evaluated at
/// the end, key activities KA01–KA05), not a phase calendar; these months are this
/// application's reasonable reading of it.
pub const ROZVOJ_SYSTEMU_24: Template = Template {
    code: Cow::Borrowed("rozvoj_systemu_24"),
    name: Cow::Borrowed("Rozvoj systémů pro sociální začleňování (24 months, illustrative)"),
    months: 24,
    description: Cow::Borrowed("Illustrative phases derived from the 2023 project's description; not an official Agency calendar."),
    phases: Cow::Borrowed(ROZVOJ_SYSTEMU_24_PHASES),
};

/// The built-in templates; admins define others (stored, looked up by the service layer).
pub const BUILTINS: &[Template] = &[STANDARD_36, ROZVOJ_SYSTEMU_24];

/// A built-in template by code.
pub fn builtin(code: &str) -> Option<&'static Template> {
    BUILTINS.iter().find(|t| t.code == code)
}

/// The 422 for a template code that names no template a cooperation or round may use.
pub fn unknown_template<'a>(known: impl IntoIterator<Item = &'a str>) -> DomainError {
    let known: Vec<&str> = known.into_iter().collect();
    DomainError::invalid("template", "unknown", format!("unknown timeline template; one of {}", known.join(", ")))
}

/// Most phases a template may have.
pub const MAX_PHASES: usize = 50;

/// A template's or a phase's code: lower-case letters, digits and `_`, 2 to 50 characters.
fn is_code(s: &str) -> bool {
    (2..=50).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn text_len(v: &mut Violations, field: String, s: &str, min: usize, max: usize) {
    let n = s.trim().chars().count();
    if n < min || s.chars().count() > max {
        v.push(FieldError::new(field, "length", format!("{min} to {max} characters")));
    }
}

impl Template {
    /// Checks an admin-defined template: its code is well formed (lower-case letters, digits
    /// and `_`, 2 to 50 characters) and not a built-in one, and its shape holds
    /// ([`Template::check_shape`]).
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if !is_code(&self.code) {
            v.push(FieldError::new("code", "format", "lower-case letters, digits and `_`, 2 to 50 characters"));
        } else if builtin(&self.code).is_some() {
            v.push(FieldError::new("code", "builtin", format!("`{}` is a built-in template's code", self.code)));
        }
        self.check_shape(&mut v);
        v.into_result()?;
        Ok(self)
    }

    /// The rules every template keeps, built in or not: a name of 1 to 200 characters, a
    /// description of at most 2,000, 1 to 120 months, 1 to [`MAX_PHASES`] phases with unique
    /// well-formed codes, names of 1 to 200 characters and `1 ≤ from_month ≤ to_month ≤ months`.
    pub fn check_shape(&self, v: &mut Violations) {
        text_len(v, "name".into(), &self.name, 1, 200);
        text_len(v, "description".into(), &self.description, 0, 2000);
        if !(1..=120).contains(&self.months) {
            v.push(FieldError::new("months", "out_of_range", "between 1 and 120 months"));
        }
        if self.phases.is_empty() {
            v.push(FieldError::new("phases", "empty", "a template has at least one phase"));
        }
        if self.phases.len() > MAX_PHASES {
            v.push(FieldError::new("phases", "too_many", format!("at most {MAX_PHASES} phases")));
        }
        for (i, p) in self.phases.iter().enumerate() {
            if !is_code(&p.code) {
                v.push(FieldError::new(format!("phases[{i}].code"), "format", "lower-case letters, digits and `_`, 2 to 50 characters"));
            } else if self.phases[..i].iter().any(|q| q.code == p.code) {
                v.push(FieldError::new(format!("phases[{i}].code"), "duplicate", format!("`{}` appears twice", p.code)));
            }
            text_len(v, format!("phases[{i}].name"), &p.name, 1, 200);
            if p.from_month < 1 {
                v.push(FieldError::new(format!("phases[{i}].from_month"), "out_of_range", "months count from 1"));
            }
            if p.to_month < p.from_month {
                v.push(FieldError::new(format!("phases[{i}].to_month"), "before_from", "to_month is before from_month"));
            } else if p.to_month > self.months {
                v.push(FieldError::new(format!("phases[{i}].to_month"), "beyond_months", format!("the template has {} months", self.months)));
            }
        }
    }
}

/// How many cooperations and recruitment rounds (not archived) name a template.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateUses {
    pub cooperations: u64,
    pub rounds: u64,
}

impl TemplateUses {
    pub fn any(self) -> bool {
        self.cooperations + self.rounds > 0
    }

    fn described(self) -> String {
        format!("{} cooperation(s) and {} recruitment round(s) follow it", self.cooperations, self.rounds)
    }
}

/// 409 for a built-in template: it is part of the program and never changes.
pub fn check_not_builtin(code: &str) -> Result<(), DomainError> {
    match builtin(code) {
        Some(_) => Err(DomainError::Conflict(format!("`{code}` is a built-in template; define a template of your own instead"))),
        None => Ok(()),
    }
}

/// Whether a stored template may change from `before` to `after`: its code stays (422), and
/// while cooperations or rounds follow it (`uses`) its months and phases stay too (409),
/// since their timelines are computed from them; its name and description may change.
pub fn check_template_change(before: &Template, after: &Template, uses: TemplateUses) -> Result<(), DomainError> {
    if after.code != before.code {
        return Err(DomainError::invalid("code", "immutable", "a template keeps its code; define a new template instead"));
    }
    if uses.any() && (after.months != before.months || after.phases != before.phases) {
        return Err(DomainError::Conflict(format!(
            "the template is in use ({}): its months and phases stay; only its name and description may change",
            uses.described()
        )));
    }
    Ok(())
}

/// Whether a stored template may be archived: not while cooperations or rounds follow it (409).
pub fn check_template_archive(uses: TemplateUses) -> Result<(), DomainError> {
    if uses.any() {
        return Err(DomainError::Conflict(format!("the template is in use ({}); it cannot be archived", uses.described())));
    }
    Ok(())
}

/// The first day of month `n` (1-based) of a cooperation starting on `start`.
pub fn month_start(start: NaiveDate, n: u32) -> NaiveDate {
    start.checked_add_months(Months::new(n.saturating_sub(1))).unwrap_or(NaiveDate::MAX)
}

/// The last day of month `n` (1-based) of a cooperation starting on `start`.
pub fn month_end(start: NaiveDate, n: u32) -> NaiveDate {
    start.checked_add_months(Months::new(n)).and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
}

/// A cooperation's status: agreed → running → handed_over | ended_early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CooperationStatus {
    Agreed,
    Running,
    HandedOver,
    EndedEarly,
}

impl CooperationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agreed => "agreed",
            Self::Running => "running",
            Self::HandedOver => "handed_over",
            Self::EndedEarly => "ended_early",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Agreed, Self::Running, Self::HandedOver, Self::EndedEarly].into_iter().find(|s| s.as_str() == code)
    }
}

/// A lifecycle action on a cooperation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CooperationAction {
    Start,
    HandOver,
    End,
}

/// The status after `action`, or 409.
pub fn advance(status: CooperationStatus, action: CooperationAction) -> Result<CooperationStatus, DomainError> {
    use CooperationAction as A;
    use CooperationStatus as S;
    match (status, action) {
        (S::Agreed, A::Start) => Ok(S::Running),
        (S::Running, A::HandOver) => Ok(S::HandedOver),
        (S::Agreed | S::Running, A::End) => Ok(S::EndedEarly),
        (s, a) => Err(DomainError::Conflict(format!(
            "a cooperation that is {} cannot be {}",
            s.as_str(),
            match a {
                A::Start => "started",
                A::HandOver => "handed over",
                A::End => "ended",
            }
        ))),
    }
}

/// An explicit record of a phase's start or completion (for phases without events in the data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Milestone {
    pub phase: String,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
}

/// A cooperation's content as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooperationData {
    pub partnership_id: Uuid,
    pub start_on: NaiveDate,
    pub months: u32,
    pub template: String,
    pub predefined_activities: Vec<String>,
    pub consultant_ids: Vec<Uuid>,
    pub note: Option<String>,
}

impl CooperationData {
    /// Checks the content's own rules. That its template exists is checked where templates
    /// are looked up (admins define them, so that takes the database).
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        if !(1..=120).contains(&self.months) {
            v.push(FieldError::new("months", "out_of_range", "between 1 and 120 months"));
        }
        for (i, a) in self.predefined_activities.iter().enumerate() {
            if a.trim().is_empty() || a.len() > 500 {
                v.push(FieldError::new(format!("predefined_activities[{i}]"), "length", "1 to 500 characters"));
            }
        }
        v.into_result()?;
        Ok(self)
    }
}

/// A cooperation as a client (or a recruitment decision) asks for it: its length may be left
/// to its template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooperationRequest {
    pub partnership_id: Uuid,
    pub start_on: NaiveDate,
    /// `None`: the template's months.
    pub months: Option<u32>,
    pub template: String,
    pub predefined_activities: Vec<String>,
    pub consultant_ids: Vec<Uuid>,
    pub note: Option<String>,
}

impl CooperationRequest {
    /// The cooperation on `template`, the template the request names (looked up by the
    /// caller): its months default to the template's; validated.
    pub fn on(self, template: &Template) -> Result<CooperationData, DomainError> {
        CooperationData {
            partnership_id: self.partnership_id,
            start_on: self.start_on,
            months: self.months.unwrap_or(template.months),
            template: self.template,
            predefined_activities: self.predefined_activities,
            consultant_ids: self.consultant_ids,
            note: self.note,
        }
        .validate()
    }
}

/// Checks a milestone against a template: a known phase, completed not before started.
pub fn check_milestone(template: &Template, m: &Milestone) -> Result<(), DomainError> {
    let mut v = Violations::new();
    if !template.phases.iter().any(|p| p.code == m.phase) {
        let codes: Vec<&str> = template.phases.iter().map(|p| p.code.as_ref()).collect();
        v.push(FieldError::new("phase", "unknown", format!("not a phase of {}; one of {}", template.code, codes.join(", "))));
    }
    if m.started_on.is_none() && m.completed_on.is_none() {
        v.push(FieldError::new("started_on", "required", "give started_on, completed_on or both"));
    }
    if let (Some(s), Some(c)) = (m.started_on, m.completed_on)
        && c < s
    {
        v.push(FieldError::new("completed_on", "before_start", "completed_on is before started_on"));
    }
    v.into_result()
}

/// A phase's actual dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
}

/// What happened in the data, per [`Source`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub establishment: Span,
    pub analysis: Span,
    pub plan: Span,
    pub implementation: Span,
    pub evaluation: Span,
    pub implementation_after_revision: Span,
    pub handover: Span,
}

impl Facts {
    fn of(&self, source: Source) -> Span {
        match source {
            Source::Establishment => self.establishment,
            Source::Analysis => self.analysis,
            Source::Plan => self.plan,
            Source::Implementation => self.implementation,
            Source::Evaluation => self.evaluation,
            Source::ImplementationAfterRevision => self.implementation_after_revision,
            Source::Handover => self.handover,
            Source::Milestones => Span::default(),
        }
    }
}

/// A phase's state on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PhaseState {
    NotStarted,
    OnTime,
    Late,
    DoneLate,
    Done,
}

/// Judges a phase planned for `[planned_start, planned_end]` on `as_of`, with its actual
/// dates (those after `as_of` have not happened yet on that day). Returns the state and the
/// days late (0 unless `late` or `done_late`):
/// - done: completed on or before the planned end; done_late: completed after it;
/// - not completed, after the planned end: late (by the days since the planned end);
/// - not started, after the planned start: late (by the days since the planned start);
/// - started, not completed, on or before the planned end: on_time;
/// - otherwise not_started.
pub fn phase_state(planned_start: NaiveDate, planned_end: NaiveDate, actual: Span, as_of: NaiveDate) -> (PhaseState, i64) {
    let started = actual.started_on.filter(|d| *d <= as_of);
    let completed = actual.completed_on.filter(|d| *d <= as_of);
    if let Some(done) = completed {
        return if done <= planned_end { (PhaseState::Done, 0) } else { (PhaseState::DoneLate, (done - planned_end).num_days()) };
    }
    if as_of > planned_end {
        return (PhaseState::Late, (as_of - planned_end).num_days());
    }
    match started {
        Some(_) => (PhaseState::OnTime, 0),
        None if as_of > planned_start => (PhaseState::Late, (as_of - planned_start).num_days()),
        None => (PhaseState::NotStarted, 0),
    }
}

/// A phase of a cooperation's timeline on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhaseLine {
    pub phase: String,
    pub name: String,
    pub from_month: u32,
    pub to_month: u32,
    pub planned_start: NaiveDate,
    pub planned_end: NaiveDate,
    pub actual_start: Option<NaiveDate>,
    pub actual_end: Option<NaiveDate>,
    /// `data` when derived from the partnership's records, `milestone` when recorded
    /// explicitly, `none` when nothing is known.
    pub source: String,
    pub state: PhaseState,
    pub days_late: i64,
}

/// The timeline of a cooperation on `as_of`: every phase of its template (the predefined
/// measure only when activities were committed), with its actual dates: a milestone's date
/// wins over one derived from the data, and dates after `as_of` are not shown.
pub fn timeline(template: &Template, start_on: NaiveDate, committed: bool, facts: &Facts, milestones: &[Milestone], as_of: NaiveDate) -> Vec<PhaseLine> {
    template
        .phases
        .iter()
        .filter(|p| committed || !p.only_if_committed)
        .map(|p| {
            let derived = facts.of(p.source);
            let milestone = milestones.iter().find(|m| m.phase == p.code);
            let actual = Span {
                started_on: milestone.and_then(|m| m.started_on).or(derived.started_on),
                completed_on: milestone.and_then(|m| m.completed_on).or(derived.completed_on),
            };
            let source = if milestone.is_some() {
                "milestone"
            } else if derived != Span::default() {
                "data"
            } else {
                "none"
            };
            let (planned_start, planned_end) = (month_start(start_on, p.from_month), month_end(start_on, p.to_month));
            let (state, days_late) = phase_state(planned_start, planned_end, actual, as_of);
            PhaseLine {
                phase: p.code.to_string(),
                name: p.name.to_string(),
                from_month: p.from_month,
                to_month: p.to_month,
                planned_start,
                planned_end,
                actual_start: actual.started_on.filter(|d| *d <= as_of),
                actual_end: actual.completed_on.filter(|d| *d <= as_of),
                source: source.into(),
                state,
                days_late,
            }
        })
        .collect()
}

/// A cooperation's state on a day, in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    pub as_of: NaiveDate,
    /// The phase planned for `as_of` (the first one when several overlap), if any.
    pub current_phase: Option<String>,
    pub late: bool,
    /// The most days any phase is late.
    pub days_late: i64,
    /// The late phases, with their days late.
    pub late_phases: Vec<LatePhase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatePhase {
    pub phase: String,
    pub days_late: i64,
}

pub fn summary(lines: &[PhaseLine], as_of: NaiveDate) -> Summary {
    let late_phases: Vec<LatePhase> =
        lines.iter().filter(|l| l.state == PhaseState::Late).map(|l| LatePhase { phase: l.phase.clone(), days_late: l.days_late }).collect();
    Summary {
        as_of,
        current_phase: lines.iter().find(|l| l.planned_start <= as_of && as_of <= l.planned_end).map(|l| l.phase.clone()),
        late: !late_phases.is_empty(),
        days_late: late_phases.iter().map(|l| l.days_late).max().unwrap_or(0),
        late_phases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn span(started: Option<&str>, completed: Option<&str>) -> Span {
        Span { started_on: started.map(d), completed_on: completed.map(d) }
    }

    #[test]
    fn months_of_cooperation() {
        let start = d("2014-07-01");
        assert_eq!(month_start(start, 1), d("2014-07-01"));
        assert_eq!(month_end(start, 1), d("2014-07-31"));
        assert_eq!(month_start(start, 2), d("2014-08-01"));
        assert_eq!(month_end(start, 4), d("2014-10-31"));
        assert_eq!(month_end(start, 36), d("2017-06-30"));
        let late_october = d("2018-10-25");
        assert_eq!(month_end(late_october, 1), d("2018-11-24"));
        assert_eq!(month_start(d("2019-01-31"), 2), d("2019-02-28"));
    }

    #[test]
    fn the_state_of_a_phase() {
        // Planned 1 Aug – 31 Oct 2014.
        let (s, e) = (d("2014-08-01"), d("2014-10-31"));
        let cases: &[(&str, Span, &str, PhaseState, i64)] = &[
            ("future", span(None, None), "2014-07-15", PhaseState::NotStarted, 0),
            ("on its first day", span(None, None), "2014-08-01", PhaseState::NotStarted, 0),
            ("on time", span(Some("2014-08-03"), None), "2014-09-01", PhaseState::OnTime, 0),
            ("late start", span(None, None), "2014-08-11", PhaseState::Late, 10),
            ("late finish", span(Some("2014-08-03"), None), "2014-11-05", PhaseState::Late, 5),
            ("done on time", span(Some("2014-08-03"), Some("2014-10-31")), "2014-12-01", PhaseState::Done, 0),
            ("done late", span(Some("2014-08-03"), Some("2014-11-10")), "2014-12-01", PhaseState::DoneLate, 10),
            ("done, judged before it happened", span(Some("2014-08-03"), Some("2014-10-01")), "2014-09-01", PhaseState::OnTime, 0),
            ("started later than as_of", span(Some("2014-09-01"), None), "2014-08-05", PhaseState::Late, 4),
        ];
        for (name, actual, as_of, state, days) in cases {
            assert_eq!(phase_state(s, e, *actual, d(as_of)), (*state, *days), "{name}");
        }
    }

    #[test]
    fn lifecycle() {
        use CooperationAction as A;
        use CooperationStatus as S;
        let cases = [
            (S::Agreed, A::Start, Some(S::Running)),
            (S::Agreed, A::HandOver, None),
            (S::Agreed, A::End, Some(S::EndedEarly)),
            (S::Running, A::Start, None),
            (S::Running, A::HandOver, Some(S::HandedOver)),
            (S::Running, A::End, Some(S::EndedEarly)),
            (S::HandedOver, A::End, None),
            (S::EndedEarly, A::Start, None),
        ];
        for (from, action, to) in cases {
            assert_eq!(advance(from, action).ok(), to, "{from:?} {action:?}");
        }
    }

    #[test]
    fn the_standard_timeline_with_facts_and_milestones() {
        let facts =
            Facts { establishment: span(Some("2018-10-25"), Some("2018-10-25")), analysis: span(Some("2018-11-01"), Some("2019-01-20")), ..Facts::default() };
        let lines = timeline(&STANDARD_36, d("2018-10-25"), false, &facts, &[], d("2019-06-01"));
        assert!(!lines.iter().any(|l| l.phase == "predefined_measure"));
        let state = |code: &str| lines.iter().find(|l| l.phase == code).map(|l| (l.state, l.days_late)).unwrap();
        assert_eq!(state("establish"), (PhaseState::Done, 0));
        assert_eq!(state("situational_analysis"), (PhaseState::Done, 0));
        // Month 6 ends 24 Apr 2019: the plan is 38 days late on 1 Jun 2019.
        assert_eq!(state("strategic_plan"), (PhaseState::Late, 38));
        assert_eq!(state("implementation"), (PhaseState::Late, 37));
        assert_eq!(state("handover"), (PhaseState::NotStarted, 0));
        let s = summary(&lines, d("2019-06-01"));
        assert!(s.late);
        assert_eq!(s.days_late, 38);
        assert_eq!(s.current_phase.as_deref(), Some("implementation"));

        let milestone = Milestone { phase: "predefined_measure".into(), started_on: Some(d("2018-12-01")), completed_on: None };
        let lines = timeline(&STANDARD_36, d("2018-10-25"), true, &facts, std::slice::from_ref(&milestone), d("2019-01-01"));
        let line = lines.iter().find(|l| l.phase == "predefined_measure").unwrap();
        assert_eq!((line.state, line.source.as_str()), (PhaseState::OnTime, "milestone"));
        assert!(check_milestone(&STANDARD_36, &milestone).is_ok());
        assert!(check_milestone(&STANDARD_36, &Milestone { phase: "nope".into(), ..milestone }).is_err());
    }

    #[test]
    fn the_builtin_templates_are_well_formed() {
        for t in BUILTINS {
            assert_eq!(builtin(&t.code), Some(t));
            let mut v = Violations::new();
            t.check_shape(&mut v);
            assert!(v.is_empty(), "{}: {v:?}", t.code);
            // Their codes are reserved: an admin cannot define one.
            assert_eq!(fields(t.clone().validate()), [("code".to_owned(), "builtin".to_owned())]);
        }
    }

    fn owned_phase(code: &str, from_month: u32, to_month: u32, source: Source) -> PhaseTemplate {
        PhaseTemplate { code: code.to_owned().into(), name: format!("Phase {code}").into(), from_month, to_month, source, only_if_committed: false }
    }

    /// A 12-month template an admin defines: an analysis, a plan, a milestones-only phase.
    fn custom() -> Template {
        Template {
            code: "pilot_12".to_owned().into(),
            name: "Pilot, twelve months".to_owned().into(),
            months: 12,
            description: String::new().into(),
            phases: vec![
                owned_phase("analysis", 1, 3, Source::Analysis),
                owned_phase("plan", 3, 6, Source::Plan),
                PhaseTemplate { only_if_committed: true, ..owned_phase("pilot_measure", 4, 12, Source::Milestones) },
            ]
            .into(),
        }
    }

    fn fields<T: std::fmt::Debug>(r: Result<T, DomainError>) -> Vec<(String, String)> {
        match r {
            Err(DomainError::Invalid(errors)) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn an_admin_defined_template_is_validated_rule_by_rule() {
        assert_eq!(custom().validate(), Ok(custom()));
        let with = |f: &dyn Fn(&mut Template)| {
            let mut t = custom();
            f(&mut t);
            fields(t.validate())
        };
        let phase = |t: &mut Template, i: usize, f: &dyn Fn(&mut PhaseTemplate)| f(&mut t.phases.to_mut()[i]);
        let one = |field: &str, code: &str| vec![(field.to_owned(), code.to_owned())];
        type Errors = Vec<(String, String)>;
        let cases: Vec<(&str, Errors, Errors)> = vec![
            ("upper-case code", with(&|t| t.code = "Pilot".into()), one("code", "format")),
            ("one-letter code", with(&|t| t.code = "p".into()), one("code", "format")),
            ("code of 51 characters", with(&|t| t.code = "p".repeat(51).into()), one("code", "format")),
            ("code with a dash", with(&|t| t.code = "pilot-12".into()), one("code", "format")),
            ("a built-in code", with(&|t| t.code = "standard_36".into()), one("code", "builtin")),
            ("empty name", with(&|t| t.name = "  ".into()), one("name", "length")),
            ("name of 201 characters", with(&|t| t.name = "ž".repeat(201).into()), one("name", "length")),
            ("description of 2,001 characters", with(&|t| t.description = "x".repeat(2001).into()), one("description", "length")),
            (
                "no months",
                with(&|t| t.months = 0),
                vec![
                    ("months".into(), "out_of_range".into()),
                    ("phases[0].to_month".into(), "beyond_months".into()),
                    ("phases[1].to_month".into(), "beyond_months".into()),
                    ("phases[2].to_month".into(), "beyond_months".into()),
                ],
            ),
            ("121 months", with(&|t| t.months = 121), one("months", "out_of_range")),
            ("no phase", with(&|t| t.phases = Vec::new().into()), one("phases", "empty")),
            (
                "too many phases",
                with(&|t| t.phases = (0..51).map(|i| owned_phase(&format!("p{i}"), 1, 1, Source::Milestones)).collect::<Vec<_>>().into()),
                one("phases", "too_many"),
            ),
            ("malformed phase code", with(&|t| phase(t, 1, &|p| p.code = "Plan".into())), one("phases[1].code", "format")),
            ("duplicate phase code", with(&|t| phase(t, 2, &|p| p.code = "analysis".into())), one("phases[2].code", "duplicate")),
            ("empty phase name", with(&|t| phase(t, 0, &|p| p.name = "".into())), one("phases[0].name", "length")),
            ("month 0", with(&|t| phase(t, 0, &|p| p.from_month = 0)), one("phases[0].from_month", "out_of_range")),
            ("ends before it starts", with(&|t| phase(t, 1, &|p| p.to_month = 2)), one("phases[1].to_month", "before_from")),
            ("beyond the template's months", with(&|t| phase(t, 2, &|p| p.to_month = 13)), one("phases[2].to_month", "beyond_months")),
        ];
        for (name, got, expected) in cases {
            assert_eq!(got, expected, "{name}");
        }
        // A one-month template with a one-month phase is the smallest there is.
        let mut t = custom();
        t.months = 1;
        t.phases = vec![owned_phase("all", 1, 1, Source::Milestones)].into();
        assert!(t.validate().is_ok());
    }

    #[test]
    fn a_template_in_use_keeps_its_months_and_phases() {
        let before = custom();
        let unused = TemplateUses::default();
        let used = TemplateUses { cooperations: 1, rounds: 0 };
        let renamed = Template { name: "Renamed".into(), description: "Now described.".into(), ..custom() };
        assert_eq!(check_template_change(&before, &renamed, used), Ok(()));
        let longer = Template { months: 18, ..custom() };
        assert_eq!(check_template_change(&before, &longer, unused), Ok(()));
        assert!(matches!(check_template_change(&before, &longer, used), Err(DomainError::Conflict(_))));
        let mut moved = custom();
        moved.phases.to_mut()[0].to_month = 2;
        assert!(matches!(check_template_change(&before, &moved, TemplateUses { cooperations: 0, rounds: 2 }), Err(DomainError::Conflict(_))));
        assert_eq!(check_template_change(&before, &moved, unused), Ok(()));
        let recoded = Template { code: "other".into(), ..custom() };
        assert_eq!(fields(check_template_change(&before, &recoded, unused)), [("code".to_owned(), "immutable".to_owned())]);
        assert_eq!(check_template_archive(unused), Ok(()));
        assert!(matches!(check_template_archive(used), Err(DomainError::Conflict(_))));
        assert!(check_not_builtin("rozvoj_systemu_24").is_err());
        assert!(check_not_builtin("pilot_12").is_ok());
    }

    #[test]
    fn a_cooperation_takes_its_templates_months_unless_given() {
        let request = CooperationRequest {
            partnership_id: Uuid::nil(),
            start_on: d("2024-01-01"),
            months: None,
            template: "pilot_12".into(),
            predefined_activities: vec![],
            consultant_ids: vec![],
            note: None,
        };
        assert_eq!(request.clone().on(&custom()).unwrap().months, 12);
        assert_eq!(CooperationRequest { months: Some(15), ..request.clone() }.on(&custom()).unwrap().months, 15);
        assert_eq!(fields(CooperationRequest { months: Some(121), ..request }.on(&custom())), [("months".to_owned(), "out_of_range".to_owned())]);
        assert_eq!(fields::<()>(Err(unknown_template(["a", "b"]))), [("template".to_owned(), "unknown".to_owned())]);
    }

    #[test]
    fn a_custom_template_gives_a_timeline() {
        let facts = Facts { analysis: span(Some("2024-01-10"), Some("2024-03-20")), ..Facts::default() };
        let milestone = Milestone { phase: "pilot_measure".into(), started_on: Some(d("2024-04-02")), completed_on: Some(d("2024-11-30")) };
        assert!(check_milestone(&custom(), &milestone).is_ok());
        let lines = timeline(&custom(), d("2024-01-01"), true, &facts, std::slice::from_ref(&milestone), d("2025-01-15"));
        let line = |code: &str| lines.iter().find(|l| l.phase == code).unwrap();
        assert_eq!((line("analysis").planned_start, line("analysis").planned_end), (d("2024-01-01"), d("2024-03-31")));
        assert_eq!(line("analysis").state, PhaseState::Done);
        assert_eq!((line("plan").state, line("plan").days_late), (PhaseState::Late, 199));
        assert_eq!((line("pilot_measure").state, line("pilot_measure").source.as_str()), (PhaseState::Done, "milestone"));
        assert_eq!(line("pilot_measure").planned_end, d("2024-12-31"));
        // Without committed activities the phase that needs them is left out.
        assert_eq!(timeline(&custom(), d("2024-01-01"), false, &facts, &[], d("2025-01-15")).len(), 2);
    }
}
