//! Who may read and write what: the roles of API-CONVENTIONS.md as rules.
//!
//! Reading is decided per partnership because everything non-public (members, people,
//! meetings) belongs to one. A caller who may not read a partnership's data must not learn
//! that it exists (404), while a caller who may read but not write gets 403.

use uuid::Uuid;

/// A caller's role, from the token's `role` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Agency headquarters: everything.
    Admin,
    /// Agency local consultant: reads all, writes in the partnerships assigned to them.
    Consultant,
    /// A member organisation's representative: reads its own partnerships.
    Partner,
    /// Ministry integration: reads everything, writes nothing.
    Reporter,
    /// Service account for scripted imports: reads and writes registry data.
    Importer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Consultant => "consultant",
            Self::Partner => "partner",
            Self::Reporter => "reporter",
            Self::Importer => "importer",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    /// The partnerships a consultant is assigned to or a partner belongs to.
    pub partnerships: Vec<Uuid>,
    /// A partner's own organization.
    pub organization_id: Option<Uuid>,
}

impl Principal {
    /// The partnerships whose internal data this caller may read; `None` means all of them.
    pub fn readable_partnerships(&self) -> Option<&[Uuid]> {
        match self.role {
            Role::Admin | Role::Consultant | Role::Reporter | Role::Importer => None,
            Role::Partner => Some(&self.partnerships),
        }
    }

    pub fn may_read_partnership(&self, partnership_id: Uuid) -> bool {
        self.readable_partnerships().is_none_or(|ids| ids.contains(&partnership_id))
    }

    /// Writes inside a partnership: its members, working groups, meetings, status.
    pub fn may_write_partnership(&self, partnership_id: Uuid) -> bool {
        match self.role {
            Role::Admin | Role::Importer => true,
            Role::Consultant => self.partnerships.contains(&partnership_id),
            Role::Partner | Role::Reporter => false,
        }
    }

    /// Writes to the shared registries (territorial units, organizations, people).
    pub fn may_write_registry(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Consultant | Role::Importer)
    }

    /// Creating partnerships and reading the audit trail: the Agency's headquarters.
    pub fn may_administer(&self) -> bool {
        matches!(self.role, Role::Admin)
    }

    /// Creating a partnership: headquarters, or an import of existing ones.
    pub fn may_create_partnership(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Importer)
    }

    /// Whether the caller may read every person, not only those of its partnerships.
    pub fn reads_all_people(&self) -> bool {
        self.readable_partnerships().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role, partnerships: Vec<Uuid>) -> Principal {
        Principal { subject: "t".into(), role, partnerships, organization_id: None }
    }

    #[test]
    fn partners_read_only_their_partnerships_and_write_none() {
        let (own, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let partner = who(Role::Partner, vec![own]);
        assert!(partner.may_read_partnership(own));
        assert!(!partner.may_read_partnership(other));
        assert!(!partner.may_write_partnership(own));
        assert!(!partner.may_write_registry());
    }

    #[test]
    fn consultants_read_all_and_write_where_assigned() {
        let (own, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let consultant = who(Role::Consultant, vec![own]);
        assert!(consultant.may_read_partnership(other));
        assert!(consultant.may_write_partnership(own));
        assert!(!consultant.may_write_partnership(other));
        assert!(!consultant.may_create_partnership());
    }

    #[test]
    fn reporters_read_everything_and_write_nothing() {
        let reporter = who(Role::Reporter, vec![]);
        assert!(reporter.may_read_partnership(Uuid::from_u128(9)));
        assert!(!reporter.may_write_partnership(Uuid::from_u128(9)));
        assert!(!reporter.may_write_registry());
        assert!(!reporter.may_administer());
    }
}
