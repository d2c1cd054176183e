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

/// Reading a partnership's document that becomes public once approved (a strategic plan with
/// its goals and measures): anyone, without a token, once public; before, those who read the
/// partnership's internal records. A caller who may not is answered 404.
pub fn may_read_document(who: Option<&Principal>, partnership: Uuid, public: bool) -> bool {
    public || who.is_some_and(|w| w.may_read_partnership(partnership))
}

/// What a caller asks to do, with what the answer depends on. Every access decision of the
/// API is [`Principal::authorize`] of one of these; the `may_*` methods above are its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read a partnership's internal records (members, people, meetings, counselling).
    Read { partnership: Uuid },
    /// Write records inside a partnership: members, working groups, meetings, analyses,
    /// draft plans with goals and measures.
    WriteRecords { partnership: Uuid },
    /// Change or archive the partnership itself.
    ChangePartnership { partnership: Uuid },
    /// Create a partnership.
    CreatePartnership,
    /// A business decision in a partnership: a lifecycle step of it, of an analysis or a plan,
    /// an evaluation.
    Decide { partnership: Uuid },
    /// Write a project's content (an intent and its changes before submission).
    WriteProject { partnership: Uuid, applicant: Uuid },
    /// A step of a project's pipeline.
    ProjectStep { partnership: Uuid, applicant: Uuid, step: ProjectAction },
    /// Report progress or indicator values on a measure with this responsible implementer.
    ReportProgress { partnership: Uuid, responsible: Option<Uuid> },
    /// Record the Agency's counselling in a partnership.
    Counsel { partnership: Uuid },
    /// Write the shared registries (territorial units, organizations, new people).
    WriteRegistry,
    /// Change or archive a person, who is tied to the caller's partnerships this way.
    EditPerson(PersonTie),
    /// Maintain the operational programmes.
    MaintainProgrammes,
    /// Maintain the calls of the programmes.
    MaintainCalls,
    /// Define, change and archive the cooperations' timeline templates: admins.
    MaintainTemplates,
    /// Read the audit trail.
    Administer,
    /// Read the project pipeline of all partnerships (figures per programme and call).
    ReadPipeline,
    /// Subscribe to webhooks (every change, as the change feed: for those who read all
    /// partnerships and integrate: admins, reporters, importers).
    Subscribe,
    /// Read one of the Agency's support projects (its key activities, findings, events):
    /// everyone but partners, and a partner when the project supports a unit of its
    /// partnerships (`concerned`; otherwise the project is hidden from it).
    ReadSupportProject { concerned: bool },
    /// Read a supported unit's records (its description of cooperation, criteria,
    /// participatory procedures, documents): everyone but partners, and a partner of the
    /// partnership the unit's cooperation is with (otherwise hidden).
    ReadSupportedUnit { partnership: Option<Uuid> },
    /// Write anything of a support project: the Agency's staff, admins and consultants (the
    /// project is the Agency's own and its events and analyses span units and partnerships).
    RunSupportProject,
    /// Read who attended a good-practice event (personal data): admins and consultants;
    /// others read counts.
    ReadAttendees,
    /// Read a support project's target indicators (across all its units): everyone but
    /// partners.
    ReadProjectIndicators,
    /// Read recruitment rounds, candidacies, their totals and the ranking: the Agency's staff
    /// and those who read every partnership (admins, consultants, reporters, importers);
    /// hidden from partners (a candidacy is not a partnership's record).
    ReadRecruitment,
    /// Set up a recruitment round, open, close and decide it: admins.
    ManageRecruitment,
    /// Enter, change or withdraw a candidacy received from a territorial unit: admins,
    /// consultants and importers.
    ReceiveCandidacy,
    /// Score a candidacy as an assessor, and read who scored what: the Agency's staff (admins
    /// and consultants).
    Assess,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// The caller may not even know the target exists: answered as 404.
    Hidden,
    /// The caller sees the target but may not do this: answered as 403 with the reason.
    Forbidden(&'static str),
}

impl Action {
    /// The partnership whose internal data the action touches, where a caller who may not read
    /// that data must not learn it exists. Partnerships, their plans and analyses are public,
    /// so changing or deciding about them is refused with 403, never hidden.
    fn hidden_partnership(self) -> Option<Uuid> {
        match self {
            Self::Read { partnership }
            | Self::WriteRecords { partnership }
            | Self::WriteProject { partnership, .. }
            | Self::ProjectStep { partnership, .. }
            | Self::ReportProgress { partnership, .. }
            | Self::Counsel { partnership } => Some(partnership),
            Self::ChangePartnership { .. }
            | Self::Decide { .. }
            | Self::CreatePartnership
            | Self::WriteRegistry
            | Self::EditPerson(_)
            | Self::MaintainProgrammes
            | Self::MaintainCalls
            | Self::MaintainTemplates
            | Self::Administer
            | Self::ReadPipeline
            | Self::Subscribe
            | Self::ReadSupportProject { .. }
            | Self::ReadSupportedUnit { .. }
            | Self::RunSupportProject
            | Self::ReadAttendees
            | Self::ReadProjectIndicators
            | Self::ReadRecruitment
            | Self::ManageRecruitment
            | Self::ReceiveCandidacy
            | Self::Assess => None,
        }
    }
}

impl Principal {
    /// The access decision: allowed, hidden (404) or forbidden (403, with the reason).
    pub fn authorize(&self, action: Action) -> Result<(), Denial> {
        if action.hidden_partnership().is_some_and(|p| !self.may_read_partnership(p)) || self.hides_support(action) {
            return Err(Denial::Hidden);
        }
        self.rule(action)
    }

    /// Whether a support project or a supported unit is hidden from the caller (a partner
    /// whom it does not concern), and recruitment from partners.
    fn hides_support(&self, action: Action) -> bool {
        match action {
            Action::ReadSupportProject { concerned } => self.readable_partnerships().is_some() && !concerned,
            Action::ReadSupportedUnit { partnership } => self.readable_partnerships().is_some_and(|ids| partnership.is_none_or(|p| !ids.contains(&p))),
            Action::ReadRecruitment | Action::ManageRecruitment | Action::ReceiveCandidacy | Action::Assess => self.role == Role::Partner,
            _ => false,
        }
    }

    /// The decision where the caller already knows the target exists (it is created under a
    /// public partnership, or the caller named it): a refusal is always 403.
    pub fn authorize_known(&self, action: Action) -> Result<(), Denial> {
        match self.authorize(action) {
            Err(Denial::Hidden) => self.rule(action).and(Err(Denial::Forbidden("your role does not allow changes in this partnership"))),
            other => other,
        }
    }

    fn rule(&self, action: Action) -> Result<(), Denial> {
        let (allowed, reason) = match action {
            Action::Read { partnership } => (self.may_read_partnership(partnership), "your role does not allow reading this partnership's records"),
            Action::WriteRecords { partnership } => (self.may_write_partnership(partnership), "your role does not allow changes in this partnership"),
            Action::ChangePartnership { partnership } => (self.may_write_partnership(partnership), "your role does not allow changes in this partnership"),
            Action::CreatePartnership => (self.may_create_partnership(), "only admins and importers create partnerships"),
            Action::Decide { partnership } => {
                (self.may_decide_in_partnership(partnership), "your role does not allow this decision in this partnership; admins and its consultants take it")
            }
            Action::WriteProject { partnership, applicant } => {
                (self.may_write_project(partnership, applicant), "your role does not allow this change to the project")
            }
            Action::ProjectStep { partnership, applicant, step } => {
                (self.may_take_project_step(partnership, applicant, step), "your role does not allow this change to the project")
            }
            Action::ReportProgress { partnership, responsible } => (
                self.may_report_progress(partnership, responsible),
                "only the responsible organization, the partnership's consultants and admins report on this measure",
            ),
            Action::Counsel { partnership } => (
                self.role == Role::Admin || (self.role == Role::Consultant && self.partnerships.contains(&partnership)),
                "only admins and the partnership's consultants record counselling",
            ),
            Action::WriteRegistry => (self.may_write_registry(), "your role does not allow changes to the registry"),
            Action::EditPerson(tie) => (self.may_edit_person(tie), "this person appears only in other partnerships' records; their consultants maintain them"),
            Action::MaintainProgrammes => (self.role == Role::Admin, "only admins maintain the operational programmes"),
            Action::MaintainCalls => (matches!(self.role, Role::Admin | Role::Importer), "only admins and importers maintain calls"),
            Action::MaintainTemplates => (self.role == Role::Admin, "only admins define timeline templates"),
            Action::Administer => (self.may_administer(), "only admins read this"),
            Action::ReadPipeline => (self.role != Role::Partner, "partners see their own projects, not the pipeline of all partnerships"),
            Action::Subscribe => (
                matches!(self.role, Role::Admin | Role::Reporter | Role::Importer),
                "webhooks are for integrations that read every partnership: admins, reporters and importers",
            ),
            Action::ReadSupportProject { .. } | Action::ReadSupportedUnit { .. } => {
                (!self.hides_support(action), "this support project's records concern other partnerships")
            }
            Action::RunSupportProject => {
                (matches!(self.role, Role::Admin | Role::Consultant), "only the Agency's staff (admins and consultants) write a support project's records")
            }
            Action::ReadAttendees => (matches!(self.role, Role::Admin | Role::Consultant), "only admins and consultants read who attended"),
            Action::ReadProjectIndicators => (self.role != Role::Partner, "partners read their own unit's records, not the project's indicators"),
            Action::ReadRecruitment => (self.role != Role::Partner, "recruitment is the Agency's"),
            Action::ManageRecruitment => (self.role == Role::Admin, "only admins set up, open, close and decide a recruitment round"),
            Action::ReceiveCandidacy => {
                (matches!(self.role, Role::Admin | Role::Consultant | Role::Importer), "only admins, consultants and importers enter candidacies")
            }
            Action::Assess => (matches!(self.role, Role::Admin | Role::Consultant), "only the Agency's assessors (admins and consultants) score candidacies"),
        };
        if allowed { Ok(()) } else { Err(Denial::Forbidden(reason)) }
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

    /// Every action for every role, in the caller's own partnership and in another one: the
    /// answer is allowed, 404 (hidden) or 403.
    #[test]
    fn the_authorization_table() {
        use Answer::*;
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum Answer {
            Ok,
            Hide,
            Deny,
        }
        let (own, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (own_org, other_org) = (Uuid::from_u128(10), Uuid::from_u128(20));
        let actions = |p: Uuid, o: Uuid| -> Vec<Action> {
            vec![
                Action::Read { partnership: p },
                Action::WriteRecords { partnership: p },
                Action::ChangePartnership { partnership: p },
                Action::Decide { partnership: p },
                Action::WriteProject { partnership: p, applicant: o },
                Action::ProjectStep { partnership: p, applicant: o, step: ProjectAction::Submit },
                Action::ProjectStep { partnership: p, applicant: o, step: ProjectAction::Approve },
                Action::ReportProgress { partnership: p, responsible: Some(o) },
                Action::Counsel { partnership: p },
            ]
        };
        // Per role: the answers to `actions` in its own partnership, then in another one.
        #[rustfmt::skip]
        let table: &[(Role, [Answer; 9], [Answer; 9])] = &[
            (Role::Admin,      [Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok],                 [Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
            (Role::Consultant, [Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok],                 [Ok, Deny, Deny, Deny, Deny, Deny, Deny, Deny, Deny]),
            (Role::Partner,    [Ok, Deny, Deny, Deny, Ok, Ok, Deny, Ok, Deny],       [Hide, Hide, Deny, Deny, Hide, Hide, Hide, Hide, Hide]),
            (Role::Reporter,   [Ok, Deny, Deny, Deny, Deny, Deny, Deny, Deny, Deny], [Ok, Deny, Deny, Deny, Deny, Deny, Deny, Deny, Deny]),
            (Role::Importer,   [Ok, Ok, Ok, Deny, Ok, Deny, Deny, Ok, Deny],         [Ok, Ok, Ok, Deny, Ok, Deny, Deny, Ok, Deny]),
        ];
        let answer = |r: Result<(), Denial>| match r {
            Result::Ok(()) => Ok,
            Err(Denial::Hidden) => Hide,
            Err(Denial::Forbidden(reason)) => {
                assert!(!reason.is_empty());
                Deny
            }
        };
        for (role, in_own, in_other) in table {
            let who = Principal { subject: "t".into(), role: *role, partnerships: vec![own], organization_id: Some(own_org) };
            for (action, expected) in actions(own, own_org).into_iter().zip(in_own) {
                assert_eq!(answer(who.authorize(action)), *expected, "{role:?} {action:?} in its own partnership");
            }
            for (action, expected) in actions(other, other_org).into_iter().zip(in_other) {
                assert_eq!(answer(who.authorize(action)), *expected, "{role:?} {action:?} in another partnership");
                // Where the caller knows the target, a refusal is a 403, never a 404.
                let known = if *expected == Hide { Deny } else { *expected };
                assert_eq!(answer(who.authorize_known(action)), known, "{role:?} {action:?} known, in another partnership");
            }
        }
        // Actions outside partnerships.
        #[rustfmt::skip]
        let global: &[(Role, [Answer; 8])] = &[
            // CreatePartnership, WriteRegistry, MaintainProgrammes, MaintainCalls, Administer, ReadPipeline, Subscribe, MaintainTemplates
            (Role::Admin,      [Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
            (Role::Consultant, [Deny, Ok, Deny, Deny, Deny, Ok, Deny, Deny]),
            (Role::Partner,    [Deny, Deny, Deny, Deny, Deny, Deny, Deny, Deny]),
            (Role::Reporter,   [Deny, Deny, Deny, Deny, Deny, Ok, Ok, Deny]),
            (Role::Importer,   [Ok, Ok, Deny, Ok, Deny, Ok, Ok, Deny]),
        ];
        for (role, expected) in global {
            let who = Principal { subject: "t".into(), role: *role, partnerships: vec![own], organization_id: Some(own_org) };
            let got = [
                Action::CreatePartnership,
                Action::WriteRegistry,
                Action::MaintainProgrammes,
                Action::MaintainCalls,
                Action::Administer,
                Action::ReadPipeline,
                Action::Subscribe,
                Action::MaintainTemplates,
            ]
            .map(|a| answer(who.authorize(a)));
            assert_eq!(&got, expected, "{role:?}");
        }
    }

    /// The Agency's support projects: who reads a project, a unit, attendees and the
    /// indicators, and who writes; for a partner concerned by the project or unit, and not.
    #[test]
    fn the_support_project_table() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum Answer {
            Ok,
            Hide,
            Deny,
        }
        let (own, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let answer = |r: Result<(), Denial>| match r {
            Result::Ok(()) => Answer::Ok,
            Err(Denial::Hidden) => Answer::Hide,
            Err(Denial::Forbidden(_)) => Answer::Deny,
        };
        use Answer::{Deny, Hide, Ok};
        let actions = [
            Action::ReadSupportProject { concerned: true },
            Action::ReadSupportProject { concerned: false },
            Action::ReadSupportedUnit { partnership: Some(own) },
            Action::ReadSupportedUnit { partnership: Some(other) },
            Action::ReadSupportedUnit { partnership: None },
            Action::RunSupportProject,
            Action::ReadAttendees,
            Action::ReadProjectIndicators,
        ];
        #[rustfmt::skip]
        let table: &[(Role, [Answer; 8])] = &[
            (Role::Admin,      [Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
            (Role::Consultant, [Ok, Ok, Ok, Ok, Ok, Ok, Ok, Ok]),
            (Role::Partner,    [Ok, Hide, Ok, Hide, Hide, Deny, Deny, Deny]),
            (Role::Reporter,   [Ok, Ok, Ok, Ok, Ok, Deny, Deny, Ok]),
            (Role::Importer,   [Ok, Ok, Ok, Ok, Ok, Deny, Deny, Ok]),
        ];
        for (role, expected) in table {
            let who = Principal { subject: "t".into(), role: *role, partnerships: vec![own], organization_id: None };
            let got = actions.map(|a| answer(who.authorize(a)));
            assert_eq!(&got, expected, "{role:?}");
        }
    }

    #[test]
    fn documents_are_public_once_approved() {
        let (own, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let partner = who(Role::Partner, vec![own]);
        // (caller, partnership, public, may read)
        let cases = [
            (None, own, true, true),
            (None, own, false, false),
            (Some(&partner), own, false, true),
            (Some(&partner), other, false, false),
            (Some(&partner), other, true, true),
        ];
        for (caller, partnership, public, expected) in cases {
            assert_eq!(may_read_document(caller, partnership, public), expected, "{caller:?} {public}");
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
