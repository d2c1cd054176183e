//! The lifecycle of a local partnership: forming → active → handed_over → ended.
//!
//! Status changes are business events (explicit actions), never a field edit.

use crate::DomainError;
use crate::codelist::{Coded, PartnershipStatus};

/// An explicit action on a partnership's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnershipAction {
    /// The memorandum is signed and the partnership starts meeting.
    Activate,
    /// The management of the partnership is handed over to the municipality (months 31–36).
    HandOver,
    /// The partnership ends.
    End,
}

impl PartnershipAction {
    pub fn name(self) -> &'static str {
        match self {
            Self::Activate => "activate",
            Self::HandOver => "hand_over",
            Self::End => "end",
        }
    }
}

/// The status a partnership moves to, or a conflict when the action is illegal in `from`.
pub fn transition(from: PartnershipStatus, action: PartnershipAction) -> Result<PartnershipStatus, DomainError> {
    use PartnershipAction as A;
    use PartnershipStatus as S;
    match (from, action) {
        (S::Forming, A::Activate) => Ok(S::Active),
        (S::Active, A::HandOver) => Ok(S::HandedOver),
        (S::Forming | S::Active | S::HandedOver, A::End) => Ok(S::Ended),
        (from, action) => Err(DomainError::Conflict(format!("a partnership in status `{}` cannot `{}`", from.code(), action.name()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PartnershipAction as A;
    use PartnershipStatus as S;

    #[test]
    fn legal_transitions() {
        assert_eq!(transition(S::Forming, A::Activate), Ok(S::Active));
        assert_eq!(transition(S::Active, A::HandOver), Ok(S::HandedOver));
        assert_eq!(transition(S::HandedOver, A::End), Ok(S::Ended));
        assert_eq!(transition(S::Forming, A::End), Ok(S::Ended));
    }

    #[test]
    fn every_other_transition_is_a_conflict() {
        let legal = [(S::Forming, A::Activate), (S::Active, A::HandOver), (S::Forming, A::End), (S::Active, A::End), (S::HandedOver, A::End)];
        for from in S::ALL {
            for action in [A::Activate, A::HandOver, A::End] {
                let result = transition(*from, action);
                assert_eq!(result.is_ok(), legal.contains(&(*from, action)), "{from:?} {action:?}");
            }
        }
    }
}
