//! The Agency's portfolio as a printable page (`maud`): every partnership the caller reads,
//! with its status, its cooperation's state on the day (current phase, late phases and days
//! late) and its plan's fulfilment counts, one row each. Drawn from
//! `service::reports::portfolio`. No person is named.

use chrono::NaiveDate;
use domain::cooperation::CooperationStatus;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use service::reports::PortfolioRow;

use super::Lang;
use super::page::STYLE;

const EXTRA: &str = ".late { color: #c62828; font-weight: bold; } .ok { color: #2e7d32; } .bar { display: inline-block; width: 5rem; height: .6rem; background: #e4e4e4; vertical-align: middle; } .bar span { display: block; height: 100%; background: #2e7d32; } td, th { font-size: .9rem; }";

fn cooperation_status(lang: Lang, s: CooperationStatus) -> &'static str {
    match s {
        CooperationStatus::Agreed => lang.t("dohodnuta", "agreed"),
        CooperationStatus::Running => lang.t("probíhá", "running"),
        CooperationStatus::HandedOver => lang.t("předána", "handed over"),
        CooperationStatus::EndedEarly => lang.t("ukončena předčasně", "ended early"),
    }
}

/// Renders the page.
pub fn render(rows: &[PortfolioRow], as_of: NaiveDate, lang: Lang) -> String {
    let t = |cs, en| lang.t(cs, en);
    let late_count = rows.iter().filter(|r| r.cooperations.iter().any(|(_, s)| s.late)).count();
    let markup: Markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t("Portfolio lokálních partnerství", "Portfolio of local partnerships")) }
                style { (PreEscaped(STYLE)) (PreEscaped(EXTRA)) }
            }
            body {
                header {
                    p.muted { (t("Agentura pro sociální začleňování", "Agency for Social Inclusion")) }
                    h1 { (t("Portfolio lokálních partnerství", "Portfolio of local partnerships")) }
                    dl {
                        dt { (t("Stav ke dni", "As of")) } dd { (lang.date(as_of)) }
                        dt { (t("Partnerství", "Partnerships")) } dd data-name="partnerships" { (rows.len()) }
                        dt { (t("Se zpožděnou spoluprací", "With a late cooperation")) } dd data-name="late" { (late_count) }
                    }
                }
                @if rows.is_empty() { p.muted { (t("Žádná partnerství.", "No partnerships.")) } }
                @else {
                    table.portfolio {
                        thead { tr {
                            th { (t("Partnerství", "Partnership")) } th { (t("Stav", "Status")) } th { (t("Spolupráce s Agenturou", "Cooperation with the Agency")) }
                            th { (t("Aktuální fáze", "Current phase")) } th { (t("Zpoždění", "Late")) } th { (t("Strategický plán", "Strategic plan")) }
                            th { (t("Opatření", "Measures")) } th { (t("Splněno", "Completed")) }
                        } }
                        tbody { @for r in rows {
                            tr data-partnership=(r.partnership.meta.id) {
                                td { (r.partnership.data.data.name) }
                                td { (lang.label(r.partnership.data.status)) }
                                @match r.cooperations.first() {
                                    None => { td.muted { (t("bez spolupráce", "none")) } td { "–" } td { "–" } }
                                    Some((c, s)) => {
                                        td { (cooperation_status(lang, c.data.status)) ", " (c.data.data.template) br; span.muted { (t("od", "from")) " " (lang.date(c.data.data.start_on)) } }
                                        td { (s.current_phase.as_deref().unwrap_or("–")) }
                                        @if s.late {
                                            td.late { span data-name="days_late" { (s.days_late) } " " (t("dní", "days")) br;
                                                span.muted { (s.late_phases.iter().map(|l| l.phase.as_str()).collect::<Vec<_>>().join(", ")) } }
                                        } @else { td.ok { span data-name="days_late" { "0" } } }
                                    }
                                }
                                @match &r.plan {
                                    None => { td.muted { (t("bez schváleného plánu", "no approved plan")) } td { "–" } td { "–" } }
                                    Some((plan, f)) => {
                                        td { (plan.data.data.title) br; span.muted { (lang.label(plan.data.status)) } }
                                        td.num { (f.overall.counts.total) br; span.muted { (t("po termínu", "overdue")) " " span data-name="overdue" { (f.overall.counts.overdue) } } }
                                        td.num {
                                            @match f.overall.share_completed {
                                                Some(share) => { (lang.percent(share)) br; span.bar { span style=(format!("width:{:.0}%", share.clamp(0.0, 100.0))) {} } }
                                                None => { "–" }
                                            }
                                        }
                                    }
                                }
                            }
                        } }
                    }
                }
                footer { p.muted { (t("Vygenerováno", "Generated on")) " " (lang.date(as_of)) } }
            }
        }
    };
    markup.into_string()
}
