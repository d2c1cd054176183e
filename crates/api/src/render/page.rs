//! The printable HTML report of a partnership (`maud`): no JavaScript, a print stylesheet for
//! A4. What it shows is decided by the handler (`routes::views`): the public parts for
//! everyone, monitoring, working groups and projects only to a caller who reads the
//! partnership's records. People are never named on it.

use chrono::NaiveDate;
use domain::codelist::{PartnershipStatus, PlanStatus, ProjectStatus, ThematicArea};
use domain::fulfilment::OverdueMeasure;
use domain::money::{self, Money};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::Lang;

/// A measure of the plan's content.
pub struct MeasureLine {
    pub code: String,
    pub title: String,
    pub deadline: Option<NaiveDate>,
}

/// A goal with its measures.
pub struct GoalSection {
    pub code: String,
    pub title: String,
    pub measures: Vec<MeasureLine>,
}

/// The plan shown: the one in force, otherwise the latest approved one.
pub struct PlanSection {
    pub title: String,
    pub status: PlanStatus,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub goals: Vec<GoalSection>,
}

/// The plan's monitoring (to a caller who reads the partnership's records).
pub struct Monitoring {
    /// The fulfilment chart (`svg::fulfilment_chart`), inline.
    pub chart: String,
    pub overdue: Vec<OverdueMeasure>,
}

/// A project's line.
pub struct ProjectLine {
    pub title: String,
    pub status: ProjectStatus,
    pub requested: Money,
    pub total_eligible: Money,
}

/// A meeting's line: when, what, and its resolutions (never who attended).
pub struct MeetingLine {
    pub held_on: NaiveDate,
    pub title: String,
    pub resolutions: Vec<(i32, String)>,
}

/// Everything the page shows; `None` sections are left out (not visible to the caller).
pub struct ReportPage {
    pub name: String,
    pub status: PartnershipStatus,
    pub territorial_units: Vec<String>,
    pub established_on: Option<NaiveDate>,
    pub members: Vec<String>,
    pub working_groups: Option<Vec<(String, ThematicArea)>>,
    pub plan: Option<PlanSection>,
    pub monitoring: Option<Monitoring>,
    pub projects: Option<Vec<ProjectLine>>,
    pub meetings: Option<Vec<MeetingLine>>,
    /// The cooperation's Gantt chart (`svg::timeline_chart`), inline.
    pub timeline: Option<String>,
    pub generated_on: NaiveDate,
}

pub(crate) const STYLE: &str = r#"
body { font-family: sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; } h2 { border-bottom: 1px solid #ccc; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #e4e4e4; }
td.num { text-align: right; white-space: nowrap; } .muted { color: #666; } svg { max-width: 100%; height: auto; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; } dt { font-weight: bold; }
@media print {
  @page { size: A4; margin: 15mm; }
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  h2 { break-after: avoid; } tr, figure, li { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

pub(crate) fn date(lang: Lang, day: Option<NaiveDate>) -> String {
    day.map_or_else(|| "–".to_owned(), |d| lang.date(d))
}

/// Renders the page.
pub fn render(p: &ReportPage, lang: Lang) -> String {
    let t = |cs, en| lang.t(cs, en);
    let markup: Markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t("Zpráva o lokálním partnerství", "Local partnership report")) ": " (p.name) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    p.muted { (t("Lokální partnerství", "Local partnership")) }
                    h1 { (p.name) }
                    dl {
                        dt { (t("Stav", "Status")) } dd { (lang.label(p.status)) }
                        dt { (t("Územní jednotky", "Territorial units")) } dd { (p.territorial_units.join(", ")) }
                        dt { (t("Založeno", "Established")) } dd { (date(lang, p.established_on)) }
                    }
                }
                section {
                    h2 { (t("Členské organizace", "Member organisations")) }
                    @if p.members.is_empty() { p.muted { (t("Žádní členové.", "No members.")) } }
                    @else { ul { @for m in &p.members { li { (m) } } } }
                }
                @if let Some(groups) = &p.working_groups {
                    section {
                        h2 { (t("Pracovní skupiny", "Working groups")) }
                        @if groups.is_empty() { p.muted { (t("Žádné pracovní skupiny.", "No working groups.")) } }
                        @else { ul { @for (name, area) in groups { li { (name) " " span.muted { "(" (lang.label(*area)) ")" } } } } }
                    }
                }
                @if let Some(meetings) = &p.meetings {
                    section {
                        h2 { (t("Poslední jednání", "Recent meetings")) }
                        @if meetings.is_empty() { p.muted { (t("Žádná jednání.", "No meetings.")) } }
                        @else { ul.meetings { @for m in meetings { li {
                            (lang.date(m.held_on)) ": " strong { (m.title) }
                            @if !m.resolutions.is_empty() { ol { @for (number, text) in &m.resolutions { li value=(number) { (text) } } } }
                        } } } }
                    }
                }
                @if let Some(timeline) = &p.timeline {
                    section {
                        h2 { (t("Spolupráce s Agenturou", "Cooperation with the Agency")) }
                        figure { (PreEscaped(timeline)) }
                    }
                }
                section {
                    h2 { (t("Strategický plán", "Strategic plan")) }
                    @match &p.plan {
                        None => p.muted { (t("Partnerství nemá schválený strategický plán.", "The partnership has no approved strategic plan.")) },
                        Some(plan) => {
                            p { strong { (plan.title) } br;
                                (t("Stav", "Status")) ": " (lang.label(plan.status)) ", "
                                (t("platnost", "valid")) " " (lang.date(plan.valid_from)) " – " (lang.date(plan.valid_to)) }
                            @if let Some(m) = &p.monitoring {
                                figure { (PreEscaped(&m.chart)) }
                                h3 { (t("Opatření po termínu", "Overdue measures")) }
                                @if m.overdue.is_empty() { p.muted { (t("Žádná opatření po termínu.", "No overdue measures.")) } }
                                @else {
                                    table.overdue {
                                        thead { tr { th { (t("Kód", "Code")) } th { (t("Opatření", "Measure")) } th { (t("Termín", "Deadline")) } th { (t("Stav", "Status")) } } }
                                        tbody { @for o in &m.overdue { tr {
                                            td { (o.code) } td { (o.title) } td { (lang.date(o.deadline)) }
                                            td { @match o.status { Some(s) => (lang.label(s)), None => (t("bez zprávy", "unreported")) } }
                                        } } }
                                    }
                                }
                            }
                            h3 { (t("Cíle a opatření", "Goals and measures")) }
                            @if plan.goals.is_empty() { p.muted { (t("Plán nemá žádné cíle.", "The plan has no goals.")) } }
                            @for g in &plan.goals {
                                h4 { (g.code) " " (g.title) }
                                @if !g.measures.is_empty() {
                                    table { tbody { @for m in &g.measures { tr {
                                        td { (m.code) } td { (m.title) } td.num { (date(lang, m.deadline)) }
                                    } } } }
                                }
                            }
                        }
                    }
                }
                @if let Some(projects) = &p.projects {
                    section {
                        h2 { (t("Projekty", "Projects")) }
                        @if projects.is_empty() { p.muted { (t("Žádné projekty.", "No projects.")) } }
                        @else {
                            table.projects {
                                thead { tr { th { (t("Projekt", "Project")) } th { (t("Stav", "Status")) } th { (t("Celkové způsobilé výdaje", "Total eligible")) } th { (t("Požadováno", "Requested")) } } }
                                tbody { @for pr in projects { tr {
                                    td { (pr.title) } td { (lang.label(pr.status)) }
                                    td.num { (money::format(&pr.total_eligible)) } td.num { (money::format(&pr.requested)) }
                                } } }
                            }
                        }
                    }
                }
                footer { p.muted { (t("Vygenerováno", "Generated on")) " " (lang.date(p.generated_on)) } }
            }
        }
    };
    markup.into_string()
}
