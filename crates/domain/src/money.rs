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

/// Adds amounts of one currency exactly; `None` when currencies differ or the sum overflows.
pub fn sum<'a>(amounts: impl IntoIterator<Item = &'a Money>) -> Option<Option<Money>> {
    let mut total: Option<Money> = None;
    for m in amounts {
        total = Some(match total {
            None => m.clone(),
            Some(t) if t.currency == m.currency => Money { amount_minor: t.amount_minor.checked_add(m.amount_minor)?, currency: t.currency },
            Some(_) => return None,
        });
    }
    Some(total)
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
    fn validation() {
        assert!(Money::czk(0).validate("budget").is_ok());
        assert_eq!(Money::czk(-1).validate("budget").map_err(|e| e.field), Err("budget.amount_minor".into()));
        assert!(Money { amount_minor: 1, currency: "czk".into() }.validate("b").is_err());
    }
}
