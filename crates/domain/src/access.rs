//! Who may read and write what: the roles of API-CONVENTIONS.md as rules.
//!
//! Reading is decided per partnership because everything non-public (members, people,
//! meetings) belongs to one. A caller who may not read a partnership's data must not learn
//! that it exists (404), while a caller who may read but not write gets 403.
//!
//! Writing records is kept apart from taking decisions. The `importer` service account
//! writes what an import brings (registry data, partnerships, memberships, working groups,
//! meetings and attendance, analyses, draft plans with goals and measures, progress reports,
//! calls, project intents) but takes no business decision: no lifecycle step of a
//! partnership, an analysis, a plan or a project, no evaluation. Those belong to people
//! answerable for them: headquarters (admins) and the partnership's consultants, and for a
//! project's own steps its applicant organization's partner.

use uuid::Uuid;

use crate::esif::ProjectAction;

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
    /// Service account for scripted imports: reads everything, writes what imports bring
    /// (registry data, partnerships and their records), takes no business decision.
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

/// How a person relates to the caller's partnerships, through the partnerships' own records
/// (representatives, consultants, working-group coordinators and members, meeting attendees,
/// action-item owners).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonTie {
    /// No partnership's records name the person.
    Unnamed,
    /// Records of at least one of the caller's partnerships name the person.
    NamedByOwn,
    /// Only records of other partnerships name the person.
    NamedByOthersOnly,
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

    /// Writes records inside a partnership: its members, working groups, meetings, analyses,
    /// draft plans. Importers write everywhere (an import brings many partnerships' records).
    pub fn may_write_partnership(&self, partnership_id: Uuid) -> bool {
        match self.role {
            Role::Admin | Role::Importer => true,
            Role::Consultant => self.partnerships.contains(&partnership_id),
            Role::Partner | Role::Reporter => false,
        }
    }

    /// Business decisions about a partnership's course: its lifecycle (activate, hand over,
    /// end), an analysis's steps (start, complete), a plan's lifecycle (submit, withdraw,
    /// approvals, expiry, revision) and its evaluations. Admins everywhere, consultants where
    /// assigned; never the importer, a partner or a reporter.
    pub fn may_decide_in_partnership(&self, partnership_id: Uuid) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Consultant => self.partnerships.contains(&partnership_id),
            Role::Partner | Role::Reporter | Role::Importer => false,
        }
    }

    /// Writing a project's content (an intent, its changes before submission): whoever writes
    /// the partnership's records, and a partner for its own organization's projects.
    pub fn may_write_project(&self, partnership_id: Uuid, applicant: Uuid) -> bool {
        self.may_write_partnership(partnership_id) || self.is_applicant(partnership_id, applicant)
    }

    /// A step of the project pipeline. The partnership's and the managing authority's
    /// decisions (recommend, approve, reject) are recorded by admins and the partnership's
    /// consultants; the applicant's own steps (submit, start, complete, withdraw) also by the
    /// applicant organization's partner. The importer takes none of them.
    pub fn may_take_project_step(&self, partnership_id: Uuid, applicant: Uuid, action: ProjectAction) -> bool {
        let applicants_step = match action {
            ProjectAction::Recommend | ProjectAction::Approve | ProjectAction::Reject => false,
            ProjectAction::Submit | ProjectAction::Start | ProjectAction::Complete | ProjectAction::Withdraw => true,
        };
        self.may_decide_in_partnership(partnership_id) || (applicants_step && self.is_applicant(partnership_id, applicant))
    }

    /// Reporting progress on a measure: admins and importers, the partnership's consultants,
    /// and a partner whose organization is the measure's responsible implementer.
    pub fn may_report_progress(&self, partnership_id: Uuid, responsible: Option<Uuid>) -> bool {
        match self.role {
            Role::Admin | Role::Importer => true,
            Role::Consultant => self.partnerships.contains(&partnership_id),
            Role::Partner => self.may_read_partnership(partnership_id) && self.organization_id.is_some() && self.organization_id == responsible,
            Role::Reporter => false,
        }
    }

    fn is_applicant(&self, partnership_id: Uuid, applicant: Uuid) -> bool {
        self.role == Role::Partner && self.may_read_partnership(partnership_id) && self.organization_id == Some(applicant)
    }

    /// Writes to the shared registries (territorial units, organizations, people). People
    /// are further limited by [`Principal::may_edit_person`].
    pub fn may_write_registry(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Consultant | Role::Importer)
    }

    /// Changing or archiving a person. A consultant may only touch people its own
    /// partnerships' records name, or people no partnership's records name yet (new ones);
    /// someone known only to other partnerships is theirs to maintain.
    pub fn may_edit_person(&self, tie: PersonTie) -> bool {
        match self.role {
            Role::Admin | Role::Importer => true,
            Role::Consultant => matches!(tie, PersonTie::Unnamed | PersonTie::NamedByOwn),
            Role::Partner | Role::Reporter => false,
        }
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

    /// What a caller may try, against its own partnership (and organization) or another one.
    #[derive(Debug, Clone, Copy)]
    enum Act {
        Read,
        WriteRecords,
        Decide,
        WriteProject,
        Project(ProjectAction),
        ReportProgress,
        EditPerson,
    }

    fn allowed(who: &Principal, act: Act, partnership: Uuid, organization: Uuid) -> bool {
        match act {
            Act::Read => who.may_read_partnership(partnership),
            Act::WriteRecords => who.may_write_partnership(partnership),
            Act::Decide => who.may_decide_in_partnership(partnership),
            Act::WriteProject => who.may_write_project(partnership, organization),
            Act::Project(action) => who.may_take_project_step(partnership, organization, action),
            Act::ReportProgress => who.may_report_progress(partnership, Some(organization)),
            // "Own": the person is named by the caller's partnership's records; "other": only
            // by another partnership's.
            Act::EditPerson => who.may_edit_person(if who.partnerships.contains(&partnership) { PersonTie::NamedByOwn } else { PersonTie::NamedByOthersOnly }),
        }
    }

    #[test]
    fn the_role_table() {
        use Act::*;
        use ProjectAction as P;
        use Role::*;
        let (own, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (own_org, other_org) = (Uuid::from_u128(10), Uuid::from_u128(20));
        // (role, action, allowed in its own partnership, allowed in another one)
        #[rustfmt::skip]
        let table: &[(Role, Act, bool, bool)] = &[
            (Admin, Read, true, true), (Admin, WriteRecords, true, true), (Admin, Decide, true, true),
            (Admin, WriteProject, true, true), (Admin, Project(P::Recommend), true, true), (Admin, Project(P::Submit), true, true),
            (Admin, Project(P::Approve), true, true), (Admin, Project(P::Complete), true, true), (Admin, ReportProgress, true, true),
            (Admin, EditPerson, true, true),

            (Consultant, Read, true, true), (Consultant, WriteRecords, true, false), (Consultant, Decide, true, false),
            (Consultant, WriteProject, true, false), (Consultant, Project(P::Recommend), true, false), (Consultant, Project(P::Submit), true, false),
            (Consultant, Project(P::Approve), true, false), (Consultant, Project(P::Complete), true, false), (Consultant, ReportProgress, true, false),
            (Consultant, EditPerson, true, false),

            // A partner's "own" is its partnership and its organization's project or measure.
            (Partner, Read, true, false), (Partner, WriteRecords, false, false), (Partner, Decide, false, false),
            (Partner, WriteProject, true, false), (Partner, Project(P::Recommend), false, false), (Partner, Project(P::Submit), true, false),
            (Partner, Project(P::Approve), false, false), (Partner, Project(P::Reject), false, false), (Partner, Project(P::Start), true, false),
            (Partner, Project(P::Complete), true, false), (Partner, Project(P::Withdraw), true, false), (Partner, ReportProgress, true, false),
            (Partner, EditPerson, false, false),

            (Reporter, Read, true, true), (Reporter, WriteRecords, false, false), (Reporter, Decide, false, false),
            (Reporter, WriteProject, false, false), (Reporter, Project(P::Withdraw), false, false), (Reporter, ReportProgress, false, false),
            (Reporter, EditPerson, false, false),

            // The importer writes what imports bring and decides nothing.
            (Importer, Read, true, true), (Importer, WriteRecords, true, true), (Importer, Decide, false, false),
            (Importer, WriteProject, true, true), (Importer, Project(P::Recommend), false, false), (Importer, Project(P::Submit), false, false),
            (Importer, Project(P::Approve), false, false), (Importer, Project(P::Reject), false, false), (Importer, Project(P::Start), false, false),
            (Importer, Project(P::Complete), false, false), (Importer, Project(P::Withdraw), false, false), (Importer, ReportProgress, true, true),
            (Importer, EditPerson, true, true),
        ];
        for &(role, act, in_own, in_other) in table {
            // Importers and reporters are not bound to partnerships; give them one anyway to
            // show that it grants nothing.
            let who = Principal { subject: "t".into(), role, partnerships: vec![own], organization_id: Some(own_org) };
            assert_eq!(allowed(&who, act, own, own_org), in_own, "{role:?} {act:?} in its own partnership");
            assert_eq!(allowed(&who, act, other, other_org), in_other, "{role:?} {act:?} in another partnership");
        }
    }

    #[test]
    fn new_people_are_anyones_to_edit_among_consultants() {
        let consultant = who(Role::Consultant, vec![Uuid::from_u128(1)]);
        assert!(consultant.may_edit_person(PersonTie::Unnamed));
        assert!(consultant.may_edit_person(PersonTie::NamedByOwn));
        assert!(!consultant.may_edit_person(PersonTie::NamedByOthersOnly));
        for role in [Role::Partner, Role::Reporter] {
            assert!(!who(role, vec![Uuid::from_u128(1)]).may_edit_person(PersonTie::Unnamed));
        }
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
