//! Money: integer minor units with a currency, never floating point.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// An amount of money: `{"amount_minor": 125000000, "currency": "CZK"}` is 1 250 000,00 Kč.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// The amount in minor units (haléře for CZK).
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. `CZK`, `EUR`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$", example = "CZK"))]
    pub currency: String,
}

impl Money {
    pub fn czk(amount_minor: i64) -> Self {
        Self { amount_minor, currency: "CZK".into() }
    }

    /// Checks a non-negative amount in a three-letter currency.
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(FieldError::new(format!("{field}.currency"), "format", "a currency is a three-letter ISO 4217 code such as CZK"));
        }
        if self.amount_minor < 0 {
            return Err(FieldError::new(format!("{field}.amount_minor"), "negative", "an amount cannot be negative"));
        }
        Ok(())
    }
}

/// Why amounts could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SumError {
    MixedCurrencies,
    /// The exact sum does not fit into 64-bit minor units.
    Overflow,
}

/// Adds amounts of one currency exactly (`Ok(None)` for no amounts).
pub fn try_sum<'a>(amounts: impl IntoIterator<Item = &'a Money>) -> Result<Option<Money>, SumError> {
    let mut total: Option<Money> = None;
    for m in amounts {
        total = Some(match total {
            None => m.clone(),
            Some(t) if t.currency == m.currency => {
                Money { amount_minor: t.amount_minor.checked_add(m.amount_minor).ok_or(SumError::Overflow)?, currency: t.currency }
            }
            Some(_) => return Err(SumError::MixedCurrencies),
        });
    }
    Ok(total)
}

/// Adds amounts of one currency exactly; `None` when currencies differ or the sum overflows.
pub fn sum<'a>(amounts: impl IntoIterator<Item = &'a Money>) -> Option<Option<Money>> {
    try_sum(amounts).ok()
}

/// Money as a Czech reader writes it in a message: `1 000 000,00 Kč` (CZK), `12,50 EUR`
/// (other currencies by their code); thousands grouped by spaces, a decimal comma, two
/// decimal places (minor units are hundredths).
pub fn format(m: &Money) -> String {
    let units = m.amount_minor.unsigned_abs();
    let (whole, cents) = (units / 100, units % 100);
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    let sign = if m.amount_minor < 0 { "-" } else { "" };
    let currency = if m.currency == "CZK" { "Kč" } else { m.currency.as_str() };
    format!("{sign}{grouped},{cents:02} {currency}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_and_refuse_mixed_currencies() {
        let a = Money::czk(10);
        let b = Money::czk(125_000_000);
        assert_eq!(sum([&a, &b]), Some(Some(Money::czk(125_000_010))));
        assert_eq!(sum([] as [&Money; 0]), Some(None));
        let eur = Money { amount_minor: 1, currency: "EUR".into() };
        assert_eq!(sum([&a, &eur]), None);
        assert_eq!(sum([&Money::czk(i64::MAX), &a]), None);
    }

    #[test]
    fn overflow_and_mixed_currencies_are_told_apart() {
        assert_eq!(try_sum([&Money::czk(i64::MAX), &Money::czk(i64::MAX)]), Err(SumError::Overflow));
        assert_eq!(try_sum([&Money::czk(1), &Money { amount_minor: 1, currency: "EUR".into() }]), Err(SumError::MixedCurrencies));
        assert_eq!(try_sum([&Money::czk(1), &Money::czk(2)]), Ok(Some(Money::czk(3))));
    }

    #[test]
    fn formatted_the_czech_way() {
        let eur = |amount_minor| Money { amount_minor, currency: "EUR".into() };
        for (money, text) in [
            (Money::czk(100_000_000), "1 000 000,00 Kč"),
            (Money::czk(125_000_000), "1 250 000,00 Kč"),
            (Money::czk(0), "0,00 Kč"),
            (Money::czk(5), "0,05 Kč"),
            (Money::czk(99_999), "999,99 Kč"),
            (Money::czk(100_000), "1 000,00 Kč"),
            (Money::czk(-123_456), "-1 234,56 Kč"),
            (eur(1_250), "12,50 EUR"),
            (Money::czk(i64::MAX), "92 233 720 368 547 758,07 Kč"),
            (Money::czk(i64::MIN), "-92 233 720 368 547 758,08 Kč"),
        ] {
            assert_eq!(format(&money), text);
        }
    }

    #[test]
    fn validation() {
        assert!(Money::czk(0).validate("budget").is_ok());
        assert_eq!(Money::czk(-1).validate("budget").map_err(|e| e.field), Err("budget.amount_minor".into()));
        assert!(Money { amount_minor: 1, currency: "czk".into() }.validate("b").is_err());
    }
}
