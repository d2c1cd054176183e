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

/// What a write inside a partnership does, for [`permits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Memberships, working groups, meetings with attendance and action items, situational
    /// analyses and their needs: the partnership's own organisation.
    Organisation,
    /// Strategic plans with their goals and measures, and every step of a plan's lifecycle.
    Planning,
    /// Progress reports on measures and evaluations of plans.
    Monitoring,
    /// Project intents and every step of a project.
    Projects,
    /// The Agency's counselling records: its support to the partnership.
    AgencySupport,
}

impl Activity {
    pub const ALL: [Activity; 5] = [Self::Organisation, Self::Planning, Self::Monitoring, Self::Projects, Self::AgencySupport];

    fn describe(self) -> &'static str {
        match self {
            Self::Organisation => "memberships, working groups, meetings, action items and analyses",
            Self::Planning => "strategic plans, goals and measures",
            Self::Monitoring => "progress reports and evaluations",
            Self::Projects => "projects",
            Self::AgencySupport => "the Agency's counselling",
        }
    }
}

/// What each status permits (409 otherwise):
///
/// | | organisation | planning | monitoring | projects | Agency support |
/// | --- | --- | --- | --- | --- | --- |
/// | forming | ✓ | ✓ | – | – | ✓ |
/// | active | ✓ | ✓ | ✓ | ✓ | ✓ |
/// | handed_over | ✓ | ✓ | ✓ | ✓ | – |
/// | ended | – | – | – | – | – |
///
/// A forming partnership sets itself up and drafts its plan with the Agency's help; it has no
/// plan in force to monitor nor projects to pursue until it is active. After the hand-over the
/// municipality manages the partnership itself, so everything continues except the Agency's
/// support. An ended partnership is history: read-only.
pub fn permits(status: PartnershipStatus, activity: Activity) -> Result<(), DomainError> {
    use Activity as W;
    use PartnershipStatus as S;
    let allowed = match (status, activity) {
        (S::Forming, W::Organisation | W::Planning | W::AgencySupport) => true,
        (S::Forming, W::Monitoring | W::Projects) => false,
        (S::Active, _) => true,
        (S::HandedOver, W::AgencySupport) => false,
        (S::HandedOver, _) => true,
        (S::Ended, _) => false,
    };
    if allowed {
        Ok(())
    } else {
        let why = match status {
            S::Forming => "is still forming: activate it first",
            S::HandedOver => "was handed over to the municipality: the Agency's support has ended",
            S::Ended | S::Active => "has ended and is read-only",
        };
        Err(DomainError::Conflict(format!("the partnership {why}; {} cannot change (status `{}`)", activity.describe(), status.code())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PartnershipAction as A;
    use PartnershipStatus as S;

    #[test]
    fn what_each_status_permits() {
        use Activity as W;
        // (status, [organisation, planning, monitoring, projects, agency support])
        let table = [
            (S::Forming, [true, true, false, false, true]),
            (S::Active, [true, true, true, true, true]),
            (S::HandedOver, [true, true, true, true, false]),
            (S::Ended, [false, false, false, false, false]),
        ];
        assert_eq!(table.len(), S::ALL.len());
        for (status, row) in table {
            for (activity, allowed) in W::ALL.into_iter().zip(row) {
                let result = permits(status, activity);
                assert_eq!(result.is_ok(), allowed, "{status:?} {activity:?}");
                if let Err(DomainError::Conflict(message)) = result {
                    assert!(message.contains(status.code()), "{message}");
                }
            }
        }
    }

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
