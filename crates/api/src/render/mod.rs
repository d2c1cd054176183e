//! Reports a person reads: SVG charts ([`svg`]) and the server-rendered HTML pages of a
//! partnership ([`page`]), a plan's monitoring ([`plan_page`]) and the portfolio ([`portfolio`]). Every number comes from the same service computations the JSON
//! reports answer with; this module only draws them.

pub mod page;
pub mod plan_page;
pub mod portfolio;
pub mod svg;

use chrono::{Datelike, NaiveDate};
use domain::codelist::Coded;
use serde::Deserialize;
use utoipa::ToSchema;

/// The language of a page or chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Czech (the default).
    #[default]
    Cs,
    /// English.
    En,
}

impl Lang {
    /// `?lang=` wins; otherwise `Accept-Language` starting with `en` (before any `cs`) picks
    /// English; Czech by default.
    pub fn pick(query: Option<Lang>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = query {
            return lang;
        }
        let first = accept_language
            .unwrap_or("")
            .split(',')
            .map(|part| part.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .find(|tag| tag.starts_with("cs") || tag.starts_with("en"));
        match first {
            Some(tag) if tag.starts_with("en") => Lang::En,
            _ => Lang::Cs,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Cs => "cs",
            Lang::En => "en",
        }
    }

    /// Picks the text of this language.
    pub fn t(self, cs: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Cs => cs,
            Lang::En => en,
        }
    }

    /// A codelist value's label in this language.
    pub fn label<C: Coded>(self, value: C) -> &'static str {
        let entry = value.entry();
        match self {
            Lang::Cs => entry.label_cs,
            Lang::En => entry.label_en,
        }
    }

    /// A calendar date: `1. 7. 2014` in Czech, `1 July 2014` in English.
    pub fn date(self, day: NaiveDate) -> String {
        match self {
            Lang::Cs => format!("{}. {}. {}", day.day(), day.month(), day.year()),
            Lang::En => day.format("%-d %B %Y").to_string(),
        }
    }

    /// A percentage with one decimal: `42,5 %` in Czech, `42.5 %` in English.
    pub fn percent(self, value: f64) -> String {
        let text = format!("{value:.1}");
        match self {
            Lang::Cs => format!("{} %", text.replace('.', ",")),
            Lang::En => format!("{text} %"),
        }
    }
}

impl Lang {
    /// A number as written: whole numbers without decimals, others with up to two (`12,5` in
    /// Czech, `12.5` in English).
    pub fn number(self, value: f64) -> String {
        let text = if value.fract() == 0.0 && value.abs() < 1e15 {
            format!("{value:.0}")
        } else {
            let t = format!("{value:.2}");
            t.trim_end_matches('0').trim_end_matches('.').to_owned()
        };
        match self {
            Lang::Cs => text.replace('.', ","),
            Lang::En => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_languages() {
        let day = NaiveDate::from_ymd_opt(2014, 7, 1).expect("a date");
        assert_eq!(Lang::Cs.date(day), "1. 7. 2014");
        assert_eq!(Lang::En.date(day), "1 July 2014");
        assert_eq!(Lang::pick(None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(Lang::pick(None, Some("cs,en;q=0.5")), Lang::Cs);
        assert_eq!(Lang::pick(Some(Lang::Cs), Some("en")), Lang::Cs);
        assert_eq!(Lang::pick(None, None), Lang::Cs);
        assert_eq!(Lang::Cs.percent(42.5), "42,5 %");
        assert_eq!(
            (Lang::Cs.number(12.5), Lang::En.number(12.5), Lang::Cs.number(60.0), Lang::En.number(0.126)),
            ("12,5".into(), "12.5".into(), "60".into(), "0.13".into())
        );
    }
}
