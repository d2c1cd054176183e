//! Hand-written SVG: a small builder (every text escaped) and the two charts, drawn from the
//! computed reports (`domain::fulfilment::Fulfilment`, the pipeline's `ProgrammeFigures`).
//! Each chart has a `<title>` and a `<desc>` and writes its numbers as `<text>` elements
//! marked `data-name`, so a screen reader and a test read the same figures.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use domain::cooperation::{PhaseLine, PhaseState, Summary};
use domain::fulfilment::Fulfilment;
use domain::money;
use service::monitoring::IndicatorState;

use super::Lang;
use crate::routes::reports::ProgrammeFigures;

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Shortens a label to `max` characters (with an ellipsis).
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_owned() } else { format!("{}…", text.chars().take(max.saturating_sub(1)).collect::<String>()) }
}

/// How a text is anchored.
#[derive(Clone, Copy)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn attr(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// An SVG document being drawn.
pub struct Svg {
    width: u32,
    height: u32,
    title: String,
    desc: String,
    lang: Lang,
    body: String,
}

impl Svg {
    pub fn new(width: u32, height: u32, lang: Lang, title: &str, desc: &str) -> Self {
        Self { width, height, title: title.to_owned(), desc: desc.to_owned(), lang, body: String::new() }
    }

    /// A filled rectangle.
    pub fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, fill: &str) -> &mut Self {
        let _ = write!(self.body, r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#, width.max(0.0), height.max(0.0), escape(fill));
        self
    }

    /// A text; `name` marks a figure (`data-name`) for readers and tests.
    pub fn text(&mut self, x: f64, y: f64, anchor: Anchor, size: u32, name: Option<&str>, content: &str) -> &mut Self {
        let name = name.map(|n| format!(r#" data-name="{}""#, escape(n))).unwrap_or_default();
        let _ = write!(self.body, r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{}" font-size="{size}"{name}>{}</text>"#, anchor.attr(), escape(content));
        self
    }

    /// A line; `dash` draws it dashed.
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, width: f64, dash: bool) -> &mut Self {
        let dash = if dash { r#" stroke-dasharray="4 3""# } else { "" };
        let _ = write!(self.body, r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" stroke-width="{width:.1}"{dash}/>"#, escape(stroke));
        self
    }

    /// A dot.
    pub fn dot(&mut self, x: f64, y: f64, r: f64, fill: &str) -> &mut Self {
        let _ = write!(self.body, r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{}"/>"#, escape(fill));
        self
    }

    /// One line of text in parts; a part with a name is a figure (`<tspan data-name>`).
    pub fn spans(&mut self, x: f64, y: f64, anchor: Anchor, size: u32, parts: &[(Option<&str>, &str)]) -> &mut Self {
        let _ = write!(self.body, r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{}" font-size="{size}">"#, anchor.attr());
        for (name, content) in parts {
            match name {
                Some(n) => {
                    let _ = write!(self.body, r#"<tspan data-name="{}">{}</tspan>"#, escape(n), escape(content));
                }
                None => self.body.push_str(&escape(content)),
            }
        }
        self.body.push_str("</text>");
        self
    }

    /// The document (standalone, or inline in an HTML page).
    pub fn finish(&self) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" lang="{lang}" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" aria-labelledby="t d"><title id="t">{title}</title><desc id="d">{desc}</desc>{body}</svg>"#,
            lang = self.lang.code(),
            w = self.width,
            h = self.height,
            title = escape(&self.title),
            desc = escape(&self.desc),
            body = self.body
        )
    }
}

const WIDTH: u32 = 720;
const LABEL_W: f64 = 300.0;
const BAR_W: f64 = 320.0;
const ROW_H: f64 = 26.0;
const GREY: &str = "#e4e4e4";
const GREEN: &str = "#2e7d32";
const RED: &str = "#c62828";
const BLUE: &str = "#1565c0";

/// The fulfilment of a plan: the completed share per goal as bars, and the plan's counts.
pub fn fulfilment_chart(plan_title: &str, f: &Fulfilment, lang: Lang) -> String {
    let goals = &f.goals;
    let height = 120 + (goals.len().max(1) as u32) * ROW_H as u32;
    let counts = &f.overall.counts;
    let share = f.overall.share_completed.map_or_else(|| "–".to_owned(), |s| lang.percent(s));
    let title = format!("{}: {}", lang.t("Plnění plánu", "Plan fulfilment"), plan_title);
    let desc = format!(
        "{} {}. {}: {}, {}: {}, {}: {}, {}: {}, {}: {}.",
        lang.t("Stav ke dni", "As of"),
        lang.date(f.as_of),
        lang.t("opatření celkem", "measures in total"),
        counts.total,
        lang.t("splněno", "completed"),
        counts.completed,
        lang.t("po termínu", "overdue"),
        counts.overdue,
        lang.t("bez zprávy", "unreported"),
        counts.unreported,
        lang.t("podíl splněných", "completed share"),
        share
    );
    let mut svg = Svg::new(WIDTH, height, lang, &title, &desc);
    svg.text(10.0, 22.0, Anchor::Start, 16, None, &clip(&title, 80));
    svg.text(10.0, 42.0, Anchor::Start, 12, None, &format!("{} {}", lang.t("Stav ke dni", "As of"), lang.date(f.as_of)));
    // The counts, as four labelled figures.
    let figures: [(&str, &str, String, &str); 5] = [
        ("total", lang.t("celkem", "total"), counts.total.to_string(), "#333"),
        ("completed", lang.t("splněno", "completed"), counts.completed.to_string(), GREEN),
        ("overdue", lang.t("po termínu", "overdue"), counts.overdue.to_string(), RED),
        ("unreported", lang.t("bez zprávy", "unreported"), counts.unreported.to_string(), "#555"),
        ("share_completed", lang.t("podíl splněných", "completed share"), share, BLUE),
    ];
    for (i, (name, label, value, colour)) in figures.iter().enumerate() {
        let x = 10.0 + i as f64 * 140.0;
        svg.rect(x, 54.0, 4.0, 36.0, colour);
        svg.text(x + 10.0, 70.0, Anchor::Start, 16, Some(name), value);
        svg.text(x + 10.0, 86.0, Anchor::Start, 11, None, label);
    }
    let top = 104.0;
    if goals.is_empty() {
        svg.text(10.0, top + 18.0, Anchor::Start, 13, Some("no_goals"), lang.t("Plán zatím nemá žádné cíle.", "The plan has no goals yet."));
    }
    for (i, g) in goals.iter().enumerate() {
        let y = top + i as f64 * ROW_H;
        svg.text(10.0, y + 17.0, Anchor::Start, 12, None, &clip(&format!("{} {}", g.code, g.title), 44));
        svg.rect(LABEL_W, y + 5.0, BAR_W, 16.0, GREY);
        let value = match g.rollup.share_completed {
            Some(s) => {
                svg.rect(LABEL_W, y + 5.0, BAR_W * s.clamp(0.0, 100.0) / 100.0, 16.0, GREEN);
                lang.percent(s)
            }
            None => "–".to_owned(),
        };
        svg.text(LABEL_W + BAR_W + 10.0, y + 18.0, Anchor::Start, 12, Some(&format!("goal:{}", g.code)), &value);
    }
    svg.finish()
}

/// The pipeline: intents → submitted → approved per programme, with the sums requested and
/// approved.
pub fn pipeline_chart(programmes: &[ProgrammeFigures], lang: Lang) -> String {
    let block = 3.0 * 20.0 + 40.0;
    let height = 60 + (programmes.len().max(1) as f64 * block) as u32;
    let title = lang.t("Projektová pipeline podle programů", "Project pipeline by programme");
    let desc = programmes
        .iter()
        .map(|p| {
            format!(
                "{}: {} {}, {} {}, {} {}; {} {}, {} {}.",
                p.code,
                lang.t("záměry", "intents"),
                p.figures.intents,
                lang.t("podané", "submitted"),
                p.figures.submitted,
                lang.t("schválené", "approved"),
                p.figures.approved,
                lang.t("požadováno", "requested"),
                money::format(&p.figures.requested),
                lang.t("schváleno", "approved"),
                money::format(&p.figures.approved_amount)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let desc = if desc.is_empty() { lang.t("Žádné programy.", "No programmes.").to_owned() } else { desc };
    let mut svg = Svg::new(WIDTH, height, lang, title, &desc);
    svg.text(10.0, 24.0, Anchor::Start, 16, None, title);
    if programmes.is_empty() {
        svg.text(10.0, 60.0, Anchor::Start, 13, Some("no_programmes"), lang.t("Žádné programy.", "No programmes."));
    }
    let max = programmes.iter().map(|p| p.figures.intents).max().unwrap_or(0).max(1) as f64;
    for (i, p) in programmes.iter().enumerate() {
        let y = 44.0 + i as f64 * block;
        svg.text(10.0, y + 14.0, Anchor::Start, 13, Some(&format!("{}:code", p.code)), &p.code);
        let rows = [
            ("intents", lang.t("záměry", "intents"), p.figures.intents, "#90a4ae"),
            ("submitted", lang.t("podané", "submitted"), p.figures.submitted, BLUE),
            ("approved", lang.t("schválené", "approved"), p.figures.approved, GREEN),
        ];
        for (j, (name, label, value, colour)) in rows.iter().enumerate() {
            let row = y + 20.0 + j as f64 * 20.0;
            svg.text(20.0, row + 12.0, Anchor::Start, 11, None, label);
            svg.rect(120.0, row + 2.0, 300.0, 14.0, GREY);
            svg.rect(120.0, row + 2.0, 300.0 * *value as f64 / max, 14.0, colour);
            svg.text(430.0, row + 13.0, Anchor::Start, 12, Some(&format!("{}:{name}", p.code)), &value.to_string());
        }
        svg.text(710.0, y + 34.0, Anchor::End, 11, None, lang.t("požadováno", "requested"));
        svg.text(710.0, y + 48.0, Anchor::End, 12, Some(&format!("{}:requested", p.code)), &money::format(&p.figures.requested));
        svg.text(710.0, y + 66.0, Anchor::End, 11, None, lang.t("schváleno", "approved"));
        svg.text(710.0, y + 80.0, Anchor::End, 12, Some(&format!("{}:approved_amount", p.code)), &money::format(&p.figures.approved_amount));
    }
    svg.finish()
}

const ORANGE: &str = "#ef6c00";
const PLANNED: &str = "#b3cde0";

/// A measure's indicator: its value per reporting period (bars), the actual value as of each
/// period's end under its aggregation (dots), baseline and target (lines), and the actual value
/// and attainment as of the day (the figures of `GET …/indicators/{key}/attainment`).
pub fn indicator_chart(s: &IndicatorState, lang: Lang) -> String {
    let i = &s.indicator;
    let num = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| lang.number(v));
    let pct = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| lang.percent(v));
    let unit = i.unit.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
    let title = format!("{} {} {}: {}{unit}", lang.t("Ukazatel", "Indicator"), s.measure.data.data.code, i.key, i.name);
    let desc = format!(
        "{} {}. {}: {}, {}: {}, {}: {}, {}: {}; {}: {}.",
        lang.t("Stav ke dni", "As of"),
        lang.date(s.as_of),
        lang.t("výchozí hodnota", "baseline"),
        num(i.baseline_value),
        lang.t("cílová hodnota", "target"),
        num(i.target_value),
        lang.t("skutečnost", "actual"),
        num(s.actual),
        lang.t("naplnění", "attainment"),
        pct(s.attainment),
        lang.t("vykázaná období", "periods reported"),
        s.values.len()
    );
    let (top, plot_h, left, plot_w) = (110.0, 200.0, 60.0, 640.0);
    let mut svg = Svg::new(WIDTH, 360, lang, &title, &desc);
    svg.text(10.0, 22.0, Anchor::Start, 16, None, &clip(&title, 80));
    svg.text(10.0, 42.0, Anchor::Start, 12, None, &format!("{} {}", lang.t("Stav ke dni", "As of"), lang.date(s.as_of)));
    let figures = [
        ("baseline", lang.t("výchozí hodnota", "baseline"), num(i.baseline_value), "#555"),
        ("target", lang.t("cílová hodnota", "target"), num(i.target_value), GREEN),
        ("actual", lang.t("skutečnost", "actual"), num(s.actual), BLUE),
        ("attainment", lang.t("naplnění", "attainment"), pct(s.attainment), "#333"),
        ("periods_counted", lang.t("započtená období", "periods counted"), s.periods_counted.to_string(), "#555"),
    ];
    for (n, (name, label, value, colour)) in figures.iter().enumerate() {
        let x = 10.0 + n as f64 * 140.0;
        svg.rect(x, 54.0, 4.0, 36.0, colour);
        svg.text(x + 10.0, 70.0, Anchor::Start, 16, Some(name), value);
        svg.text(x + 10.0, 86.0, Anchor::Start, 11, None, label);
    }
    let bottom = top + plot_h;
    svg.line((left, bottom), (left + plot_w, bottom), "#999", 1.0, false);
    let values: Vec<f64> = s.values.iter().filter_map(|v| v.value).chain(s.actual_at_end.iter().flatten().copied()).collect();
    let max = values.iter().chain(i.baseline_value.iter()).chain(i.target_value.iter()).fold(0.0_f64, |m, v| m.max(*v)).max(1.0) * 1.1;
    let y = |v: f64| bottom - plot_h * (v.max(0.0) / max);
    svg.text(left - 6.0, top + 4.0, Anchor::End, 10, None, &lang.number((max * 10.0).round() / 10.0));
    svg.text(left - 6.0, bottom + 4.0, Anchor::End, 10, None, "0");
    for (value, colour, label) in [(i.baseline_value, "#555", lang.t("výchozí", "baseline")), (i.target_value, GREEN, lang.t("cíl", "target"))] {
        if let Some(v) = value {
            svg.line((left, y(v)), (left + plot_w, y(v)), colour, 1.5, true);
            svg.text(left + plot_w, y(v) - 4.0, Anchor::End, 10, None, label);
        }
    }
    if s.values.is_empty() {
        svg.text(
            left + 10.0,
            top + plot_h / 2.0,
            Anchor::Start,
            13,
            Some("no_values"),
            lang.t("Zatím nebyly vykázány žádné hodnoty.", "No values reported yet."),
        );
    }
    let slot = plot_w / s.values.len().max(1) as f64;
    let mut previous: Option<(f64, f64)> = None;
    for (n, (v, actual)) in s.values.iter().zip(&s.actual_at_end).enumerate() {
        let x = left + n as f64 * slot;
        let key = v.period.start.to_string();
        if let Some(value) = v.value {
            svg.rect(x + slot * 0.2, y(value), slot * 0.6, bottom - y(value), PLANNED);
        }
        svg.text(
            x + slot / 2.0,
            bottom - 4.0 - (bottom - v.value.map_or(bottom, y)).min(plot_h - 14.0),
            Anchor::Middle,
            10,
            Some(&format!("value:{key}")),
            &num(v.value),
        );
        if let Some(a) = actual {
            let point = (x + slot / 2.0, y(*a));
            if let Some(p) = previous {
                svg.line(p, point, BLUE, 1.5, false);
            }
            svg.dot(point.0, point.1, 3.5, BLUE);
            svg.text(point.0 + 6.0, point.1 - 6.0, Anchor::Start, 10, Some(&format!("actual:{key}")), &lang.number(*a));
            previous = Some(point);
        }
        svg.text(x + slot / 2.0, bottom + 14.0, Anchor::Middle, 9, Some(&format!("period:{key}")), &short_period(lang, v.period.start, v.period.end));
    }
    svg.rect(10.0, 340.0, 10.0, 10.0, PLANNED);
    svg.text(24.0, 349.0, Anchor::Start, 10, None, lang.t("hodnota za období", "value of the period"));
    svg.dot(175.0, 345.0, 3.5, BLUE);
    svg.text(184.0, 349.0, Anchor::Start, 10, None, lang.t("skutečnost ke konci období", "actual at the period's end"));
    svg.finish()
}

/// A period as `1/2025–3/2025` (months), or its days when it is shorter than a month.
fn short_period(lang: Lang, start: NaiveDate, end: NaiveDate) -> String {
    if (end - start).num_days() < 27 {
        format!("{}–{}", lang.date(start), lang.date(end))
    } else {
        format!("{}/{}–{}/{}", start.month(), start.year(), end.month(), end.year())
    }
}

/// A phase's name: Czech for the templates' phases, else the template's (English) name.
pub fn phase_name(lang: Lang, line: &PhaseLine) -> String {
    let cs = match line.phase.as_str() {
        "establish" => "Založení lokálního partnerství",
        "situational_analysis" => "Situační analýza",
        "strategic_plan" => "Strategický plán",
        "predefined_measure" => "Příprava a zahájení předdefinovaného opatření",
        "implementation" => "Realizace plánu v terénu",
        "evaluation" => "Vyhodnocení plnění a revize plánu",
        "implementation_after_revision" => "Realizace revidovaného plánu",
        "handover" => "Předání řízení partnerství; udržitelnost",
        "description_of_cooperation" => "Popis spolupráce, tematické oblasti a kritéria kvality",
        "good_practice_transfer" => "Přenos dobré praxe",
        _ => return line.name.clone(),
    };
    match lang {
        Lang::Cs => cs.to_owned(),
        Lang::En => line.name.clone(),
    }
}

/// A phase's state in words.
pub fn phase_state(lang: Lang, state: PhaseState) -> &'static str {
    match state {
        PhaseState::NotStarted => lang.t("nezahájeno", "not started"),
        PhaseState::OnTime => lang.t("probíhá včas", "on time"),
        PhaseState::Late => lang.t("zpožděno", "late"),
        PhaseState::DoneLate => lang.t("dokončeno pozdě", "done late"),
        PhaseState::Done => lang.t("dokončeno", "done"),
    }
}

fn state_colour(state: PhaseState) -> &'static str {
    match state {
        PhaseState::NotStarted => GREY,
        PhaseState::OnTime => BLUE,
        PhaseState::Late => RED,
        PhaseState::DoneLate => ORANGE,
        PhaseState::Done => GREEN,
    }
}

/// What a timeline chart is of.
pub struct TimelineHead<'a> {
    pub template: &'a str,
    pub start_on: NaiveDate,
}

/// A cooperation's timeline as a Gantt chart: per phase the planned bar and the actual one
/// (coloured by state; one still open runs to the day), the day's line, late phases marked
/// with their days late, and the dates as figures (the computation of `GET
/// /cooperations/{id}/timeline`).
pub fn timeline_chart(head: &TimelineHead<'_>, phases: &[PhaseLine], summary: &Summary, lang: Lang) -> String {
    let as_of = summary.as_of;
    let title =
        format!("{}: {} ({} {})", lang.t("Harmonogram spolupráce", "Cooperation timeline"), head.template, lang.t("od", "from"), lang.date(head.start_on));
    let current = summary.current_phase.as_deref().and_then(|c| phases.iter().find(|l| l.phase == c)).map_or_else(|| "–".to_owned(), |l| phase_name(lang, l));
    let late: Vec<String> =
        phases.iter().filter(|l| l.state == PhaseState::Late).map(|l| format!("{} ({} {})", phase_name(lang, l), l.days_late, lang.t("dní", "days"))).collect();
    let desc = format!(
        "{} {}. {}: {}. {}: {}.",
        lang.t("Stav ke dni", "As of"),
        lang.date(as_of),
        lang.t("Aktuální fáze", "Current phase"),
        current,
        lang.t("Zpožděné fáze", "Late phases"),
        if late.is_empty() { lang.t("žádné", "none").to_owned() } else { late.join(", ") }
    );
    let (left, width, row_h, top) = (260.0, 330.0, 42.0, 112.0);
    let height = top as u32 + (phases.len().max(1) as u32) * row_h as u32 + 30;
    let mut svg = Svg::new(WIDTH, height, lang, &title, &desc);
    svg.text(10.0, 22.0, Anchor::Start, 16, None, &clip(&title, 80));
    svg.spans(10.0, 42.0, Anchor::Start, 12, &[(None, &format!("{} ", lang.t("Stav ke dni", "As of"))), (Some("as_of"), &lang.date(as_of))]);
    svg.spans(10.0, 62.0, Anchor::Start, 12, &[(None, &format!("{}: ", lang.t("Aktuální fáze", "Current phase"))), (Some("current_phase"), &current)]);
    let late_word = if summary.late { lang.t("zpoždění", "late") } else { lang.t("bez zpoždění", "on schedule") };
    svg.spans(
        10.0,
        80.0,
        Anchor::Start,
        12,
        &[(Some("late"), late_word), (None, &format!(", {} ", lang.t("nejvíce dní", "most days late"))), (Some("days_late"), &summary.days_late.to_string())],
    );
    if phases.is_empty() {
        svg.text(10.0, top + 20.0, Anchor::Start, 13, Some("no_phases"), lang.t("Harmonogram nemá žádné fáze.", "The timeline has no phases."));
        return svg.finish();
    }
    // The time axis: from the first day planned or done to the last one, and the day itself.
    let days = |d: NaiveDate| d.num_days_from_ce() as f64;
    let first = phases.iter().flat_map(|l| [Some(l.planned_start), l.actual_start]).flatten().chain([as_of]).min().unwrap_or(as_of);
    let last = phases.iter().flat_map(|l| [Some(l.planned_end), l.actual_end]).flatten().chain([as_of]).max().unwrap_or(as_of);
    let span = (days(last) - days(first) + 1.0).max(1.0);
    let x = |d: NaiveDate| left + width * (days(d) - days(first)) / span;
    let x_end = |d: NaiveDate| left + width * (days(d) - days(first) + 1.0) / span;
    let bottom = top + phases.len() as f64 * row_h;
    for year in first.year() + 1..=last.year() {
        if let Some(jan) = NaiveDate::from_ymd_opt(year, 1, 1) {
            svg.line((x(jan), top - 8.0), (x(jan), bottom), "#ddd", 1.0, false);
            svg.text(x(jan), top - 12.0, Anchor::Middle, 10, None, &year.to_string());
        }
    }
    let dash = |d: Option<NaiveDate>| d.map_or_else(|| "–".to_owned(), |d| lang.date(d));
    for (n, l) in phases.iter().enumerate() {
        let y = top + n as f64 * row_h;
        let marker = if l.state == PhaseState::Late { "⚠ " } else { "" };
        svg.text(10.0, y + 14.0, Anchor::Start, 12, None, &clip(&format!("{marker}{}", phase_name(lang, l)), 38));
        svg.rect(x(l.planned_start), y + 4.0, x_end(l.planned_end) - x(l.planned_start), 9.0, PLANNED);
        if let Some(start) = l.actual_start {
            let end = l.actual_end.map_or_else(|| x_end(as_of), x_end);
            svg.rect(x(start), y + 15.0, (end - x(start)).max(2.0), 9.0, state_colour(l.state));
        }
        let code = &l.phase;
        // The dates under the bars, from the label column on (they are longer than the bars' room).
        svg.spans(
            24.0,
            y + 35.0,
            Anchor::Start,
            9,
            &[
                (None, &format!("{} ", lang.t("plán", "planned"))),
                (Some(&format!("phase:{code}:planned_start")), &lang.date(l.planned_start)),
                (None, " – "),
                (Some(&format!("phase:{code}:planned_end")), &lang.date(l.planned_end)),
                (None, &format!("; {} ", lang.t("skutečnost", "actual"))),
                (Some(&format!("phase:{code}:actual_start")), &dash(l.actual_start)),
                (None, " – "),
                (Some(&format!("phase:{code}:actual_end")), &dash(l.actual_end)),
            ],
        );
        svg.text(left + width + 10.0, y + 14.0, Anchor::Start, 11, Some(&format!("phase:{code}:state")), phase_state(lang, l.state));
        let days_word = format!(" {}", lang.t("dní zpoždění", "days late"));
        svg.spans(
            left + width + 10.0,
            y + 27.0,
            Anchor::Start,
            10,
            &[(Some(&format!("phase:{code}:days_late")), &l.days_late.to_string()), (None, &days_word)],
        );
    }
    svg.line((x(as_of), top - 6.0), (x(as_of), bottom), RED, 1.5, true);
    svg.text(x(as_of), bottom + 14.0, Anchor::Middle, 10, None, &lang.date(as_of));
    svg.finish()
}

/// The five target indicators of a support project ("Rozvoj systémů"): per indicator a bar of
/// its value against a scale that holds the target (marked), the value, numerator/denominator
/// and the target as figures, and whether it is met.
pub fn support_project_chart(r: &domain::support_project::IndicatorReport, lang: Lang) -> String {
    use domain::support_project::IndicatorUnit;
    let height = 70 + (r.indicators.len().max(1) as u32) * 46;
    let met = r.indicators.iter().filter(|i| i.met).count();
    let title = format!("{}: {}", lang.t("Cílové indikátory", "Target indicators"), r.title);
    let desc = format!("{} {}. {}: {} / {}.", lang.t("Stav ke dni", "As of"), lang.date(r.as_of), lang.t("splněno", "met"), met, r.indicators.len());
    let mut svg = Svg::new(WIDTH, height, lang, &title, &desc);
    svg.text(10.0, 22.0, Anchor::Start, 16, None, &clip(&title, 80));
    svg.text(10.0, 42.0, Anchor::Start, 12, None, &format!("{} {} · {}", lang.t("Stav ke dni", "As of"), lang.date(r.as_of), r.registration_number));
    svg.text(WIDTH as f64 - 10.0, 42.0, Anchor::End, 12, Some("met_count"), &format!("{} {met} / {}", lang.t("splněno", "met"), r.indicators.len()));
    for (n, i) in r.indicators.iter().enumerate() {
        let y = 56.0 + n as f64 * 46.0;
        let unit = |v: f64| match i.unit {
            IndicatorUnit::Percent => lang.percent(v),
            IndicatorUnit::Count => lang.number(v),
        };
        svg.text(10.0, y + 14.0, Anchor::Start, 12, None, &clip(&format!("{}. {}", i.code, i.title), 70));
        // A scale that holds both the target and the value.
        let target = f64::from(i.target);
        let top = match i.unit {
            IndicatorUnit::Percent => 100.0,
            IndicatorUnit::Count => i.value.unwrap_or(0.0).max(target).max(1.0) * 1.25,
        };
        let (x, bar) = (100.0, 300.0);
        svg.rect(x, y + 20.0, bar, 14.0, GREY);
        if let Some(v) = i.value {
            svg.rect(x, y + 20.0, bar * (v / top).clamp(0.0, 1.0), 14.0, if i.met { GREEN } else { RED });
        }
        svg.rect(x + bar * (target / top).clamp(0.0, 1.0) - 1.0, y + 16.0, 2.0, 22.0, "#222");
        let code = &i.code;
        let value = i.value.map_or_else(|| "–".to_owned(), unit);
        svg.text(x + bar + 10.0, y + 32.0, Anchor::Start, 12, Some(&format!("value:{code}")), &value);
        let fraction = match i.denominator {
            Some(d) => format!("{} / {d}", i.numerator),
            None => i.numerator.to_string(),
        };
        svg.text(10.0, y + 32.0, Anchor::Start, 11, Some(&format!("fraction:{code}")), &fraction);
        svg.text(x + bar + 100.0, y + 32.0, Anchor::Start, 11, Some(&format!("target:{code}")), &format!("{} {}", lang.t("cíl", "target"), unit(target)));
        let verdict = if i.met { lang.t("splněn", "met") } else { lang.t("nesplněn", "not met") };
        svg.text(WIDTH as f64 - 10.0, y + 32.0, Anchor::End, 11, Some(&format!("met:{code}")), verdict);
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        let mut svg = Svg::new(10, 10, Lang::Cs, "a < b & \"c\"", "<script>");
        svg.text(0.0, 0.0, Anchor::Middle, 10, Some("x\"y"), "</text><script>alert(1)</script>");
        let out = svg.finish();
        assert!(!out.contains("<script>"));
        assert!(out.contains("&lt;/text&gt;&lt;script&gt;"));
        assert!(out.contains("a &lt; b &amp; &quot;c&quot;"));
        assert!(out.contains(r#"data-name="x&quot;y""#));
    }

    #[test]
    fn an_empty_pipeline_draws() {
        let out = pipeline_chart(&[], Lang::En);
        assert!(out.starts_with("<svg") && out.contains("No programmes."));
    }
}
