//! Hand-written SVG: a small builder (every text escaped) and the two charts, drawn from the
//! computed reports (`domain::fulfilment::Fulfilment`, the pipeline's `ProgrammeFigures`).
//! Each chart has a `<title>` and a `<desc>` and writes its numbers as `<text>` elements
//! marked `data-name`, so a screen reader and a test read the same figures.

use std::fmt::Write as _;

use domain::fulfilment::Fulfilment;
use domain::money;

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
