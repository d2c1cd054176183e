//! Czech public identifiers that carry their own validity rules.

use crate::FieldError;

/// An IČO (company identification number): 8 digits whose last one is a mod-11 check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ico(String);

impl Ico {
    /// Parses an IČO; a 7-digit input is padded with a leading zero, as registries do.
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let trimmed = input.trim();
        if !trimmed.chars().all(|c| c.is_ascii_digit()) || !(7..=8).contains(&trimmed.len()) {
            return Err(FieldError::new(field, "format", "IČO must have 8 digits (7 are padded with a leading zero)"));
        }
        let digits: String = if trimmed.len() == 7 { format!("0{trimmed}") } else { trimmed.to_owned() };
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let sum: u32 = values.iter().take(7).zip((2..=8).rev()).map(|(d, w)| d * w).sum();
        let expected = match sum % 11 {
            0 => 1,
            1 => 0,
            r => 11 - r,
        };
        if values.get(7) != Some(&expected) {
            return Err(FieldError::new(field, "check_digit", format!("IČO {digits} has a wrong check digit (expected {expected})")));
        }
        Ok(Self(digits))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A municipality code of the Czech Statistical Office (codelist 51, ZÚJ): 6 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        if input.len() == 6 && input.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(FieldError::new(field, "format", "a municipality code has exactly 6 digits"))
        }
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A web address: only http and https are accepted, so that a stored link is safe to render.
pub fn parse_web(field: &str, input: &str) -> Result<String, FieldError> {
    let lower = input.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !input.chars().any(char::is_whitespace) => Ok(input.to_owned()),
        _ => Err(FieldError::new(field, "format", "a web address starts with http:// or https:// and has no spaces")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_icos_from_the_registry_parse() {
        for ico in ["00551023", "27082440", "00254657", "25401726"] {
            assert_eq!(Ico::parse("ico", ico).map(Ico::into_inner), Ok(ico.to_owned()), "{ico}");
        }
    }

    #[test]
    fn seven_digits_are_padded() {
        assert_eq!(Ico::parse("ico", "0551023").map(Ico::into_inner), Ok("00551023".to_owned()));
    }

    #[test]
    fn invalid_icos_are_rejected_with_a_reason() {
        let cases =
            [("00551024", "check_digit"), ("2708244", "check_digit"), ("1234", "format"), ("abcdefgh", "format"), ("123456789", "format"), ("", "format")];
        for (input, code) in cases {
            let err = Ico::parse("ico", input).err().map(|e| e.code);
            assert_eq!(err.as_deref(), Some(code), "{input}");
        }
    }

    #[test]
    fn check_digit_rules_for_remainders_zero_and_one() {
        // 1·8 + 1·3 = 11 → r = 0 → check digit 1;  1·8 + 1·4 = 12 → r = 1 → check digit 0.
        assert!(Ico::parse("ico", "10000101").is_ok());
        assert!(Ico::parse("ico", "10001000").is_ok());
        assert!(Ico::parse("ico", "10000100").is_err());
    }

    #[test]
    fn municipality_codes_have_six_digits() {
        assert!(MunicipalityCode::parse("m", "555771").is_ok());
        assert!(MunicipalityCode::parse("m", "55577").is_err());
        assert!(MunicipalityCode::parse("m", "55577a").is_err());
    }

    #[test]
    fn web_addresses_must_be_http() {
        assert!(parse_web("web", "https://www.zlutice.cz").is_ok());
        assert!(parse_web("web", "javascript:alert(1)").is_err());
        assert!(parse_web("web", "https://").is_err());
    }
}
