//! The printable monitoring report of a strategic plan as of a day (`maud`): the plan, its
//! fulfilment chart and counts, the overdue measures, and every goal with its measures'
//! deadline, status and last reported progress, and the indicators' attainment. Drawn from
//! `service::reports::plan_report` (the computation of `GET /strategic-plans/{id}/fulfilment`).
//! Monitoring is not public: only readers of the partnership get here. No person is named.

use std::collections::HashSet;

use maud::{DOCTYPE, Markup, PreEscaped, html};
use service::reports::PlanReport;

use super::page::{STYLE, date};
use super::{Lang, svg};

const EXTRA: &str = "tr.overdue td { color: #c62828; } .figures { display: flex; gap: 2rem; flex-wrap: wrap; } .figures div { min-width: 7rem; } .figures strong { font-size: 1.3rem; display: block; }";

/// Renders the page.
pub fn render(r: &PlanReport, lang: Lang) -> String {
    let t = |cs, en| lang.t(cs, en);
    let plan = &r.plan.data;
    let f = &r.detail.fulfilment;
    let counts = &f.overall.counts;
    let overdue: HashSet<_> = f.overdue_measures.iter().map(|o| o.measure_id).collect();
    let chart = svg::fulfilment_chart(&plan.data.title, f, lang);
    let num = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| lang.number(v));
    let markup: Markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t("Monitorovací zpráva", "Monitoring report")) ": " (plan.data.title) }
                style { (PreEscaped(STYLE)) (PreEscaped(EXTRA)) }
            }
            body {
                header {
                    p.muted { (t("Monitorovací zpráva strategického plánu", "Strategic plan monitoring report")) " · " (r.partnership_name) }
                    h1 { (plan.data.title) }
                    dl {
                        dt { (t("Stav", "Status")) } dd { (lang.label(plan.status)) }
                        dt { (t("Platnost", "Valid")) } dd { (lang.date(plan.data.valid_from)) " – " (lang.date(plan.data.valid_to)) }
                        dt { (t("Stav ke dni", "As of")) } dd { (lang.date(f.as_of)) }
                    }
                }
                section {
                    h2 { (t("Plnění", "Fulfilment")) }
                    figure { (PreEscaped(&chart)) }
                    div.figures {
                        div { strong { (counts.in_progress) } (t("probíhá", "in progress")) }
                        div { strong { (counts.delayed) } (t("zpožděno", "delayed")) }
                        div { strong { (counts.not_started) } (t("nezahájeno", "not started")) }
                        div { strong { (counts.cancelled) } (t("zrušeno", "cancelled")) }
                    }
                }
                section {
                    h2 { (t("Opatření po termínu", "Overdue measures")) }
                    @if f.overdue_measures.is_empty() { p.muted { (t("Žádná opatření po termínu.", "No overdue measures.")) } }
                    @else {
                        table.overdue {
                            thead { tr { th { (t("Kód", "Code")) } th { (t("Opatření", "Measure")) } th { (t("Termín", "Deadline")) } th { (t("Stav", "Status")) } } }
                            tbody { @for o in &f.overdue_measures { tr {
                                td { (o.code) } td { (o.title) } td.num { (lang.date(o.deadline)) }
                                td { @match o.status { Some(s) => (lang.label(s)), None => (t("bez zprávy", "unreported")) } }
                            } } }
                        }
                    }
                }
                section {
                    h2 { (t("Cíle a opatření", "Goals and measures")) }
                    @if r.detail.goals.is_empty() { p.muted { (t("Plán nemá žádné cíle.", "The plan has no goals.")) } }
                    @for g in &r.detail.goals {
                        h3 { (g.code) " " (g.title) }
                        @let measures: Vec<_> = r.detail.measures.iter().filter(|m| m.goal_id == g.id).collect();
                        @if measures.is_empty() { p.muted { (t("Bez opatření.", "No measures.")) } }
                        @else {
                            table.measures {
                                thead { tr {
                                    th { (t("Kód", "Code")) } th { (t("Opatření", "Measure")) } th { (t("Termín", "Deadline")) }
                                    th { (t("Stav", "Status")) } th { (t("Hotovo", "Done")) } th { (t("Poslední zpráva", "Last report")) }
                                } }
                                tbody { @for m in measures {
                                    tr class=[overdue.contains(&m.id).then_some("overdue")] {
                                        td { (m.code) } td { (m.title) } td.num { (date(lang, m.deadline)) }
                                        @match &m.latest {
                                            Some(l) => { td { (lang.label(l.status)) } td.num { (l.percent_done) " %" } td.num { (lang.date(l.reported_on)) } }
                                            None => { td { (t("bez zprávy", "unreported")) } td.num { "–" } td.num { "–" } }
                                        }
                                    }
                                } }
                            }
                        }
                    }
                }
                @if !f.indicators.is_empty() {
                    section {
                        h2 { (t("Ukazatele", "Indicators")) }
                        table.indicators {
                            thead { tr {
                                th { (t("Opatření", "Measure")) } th { (t("Ukazatel", "Indicator")) } th { (t("Výchozí", "Baseline")) }
                                th { (t("Cíl", "Target")) } th { (t("Skutečnost", "Actual")) } th { (t("Naplnění", "Attainment")) }
                            } }
                            tbody { @for i in &f.indicators { tr {
                                td { (i.measure_code) } td { (i.key) " " (i.name) } td.num { (num(i.baseline_value)) } td.num { (num(i.target_value)) }
                                td.num { (num(i.actual_value)) } td.num { (i.attainment.map_or_else(|| "–".to_owned(), |a| lang.percent(a))) }
                            } } }
                        }
                    }
                }
                footer { p.muted { (t("Stav ke dni", "As of")) " " (lang.date(f.as_of)) } }
            }
        }
    };
    markup.into_string()
}
