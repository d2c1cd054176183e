//! The registry of local partnerships: the validated content of each resource.
//!
//! A `…Data` struct is what a client may set: the command of a create, and the state that a
//! merge patch is applied to. Records returned by the store pair it with [`Meta`]. The
//! `validate` functions hold the rules that need no database; rules about other rows
//! (a referenced person exists, an organization is already a member) are checked by the
//! store inside the write's transaction.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::codelist::{ActionItemStatus, AttendanceStatus, OrganizationKind, PartnershipStatus, Region, TerritorialUnitKind, ThematicArea};
use crate::error::Violations;
use crate::identifiers::{Ico, MunicipalityCode, parse_web};
use crate::period::ensure_ordered;
use crate::{DomainError, FieldError};

/// What every stored resource carries besides its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub id: Uuid,
    /// Incremented by every write; the ETag and the `If-Match` precondition use it.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the resource was archived (`DELETE`); archived rows are kept for history.
    pub archived_at: Option<DateTime<Utc>>,
}

/// A stored resource: its metadata and its content.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    pub meta: Meta,
    pub data: T,
}

fn non_blank(v: &mut Violations, field: &str, value: &str) {
    if value.trim().is_empty() {
        v.push(FieldError::new(field, "blank", format!("{field} must not be blank")));
    }
}

fn no_duplicates(v: &mut Violations, field: &str, ids: impl IntoIterator<Item = Uuid>) {
    let mut seen = std::collections::HashSet::new();
    for (i, id) in ids.into_iter().enumerate() {
        if !seen.insert(id) {
            v.push(FieldError::new(format!("{field}[{i}]"), "duplicate", format!("{id} is listed twice")));
        }
    }
}

/// A municipality, town, union of municipalities, microregion or local action group.
#[derive(Debug, Clone, PartialEq)]
pub struct TerritorialUnitData {
    pub external_ref: Option<String>,
    pub kind: TerritorialUnitKind,
    pub name: String,
    pub municipality_code: Option<String>,
    pub region: Region,
    pub population: Option<i64>,
}

impl TerritorialUnitData {
    /// Normalises and checks the content; every broken rule is reported.
    pub fn validate(mut self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        non_blank(&mut v, "name", &self.name);
        if let Some(code) = self.municipality_code.take() {
            self.municipality_code = v.check(MunicipalityCode::parse("municipality_code", &code)).map(MunicipalityCode::into_inner);
        }
        // Unions, microregions and local action groups span several municipalities: no own code.
        if self.municipality_code.is_some() && !matches!(self.kind, TerritorialUnitKind::Municipality | TerritorialUnitKind::Town) {
            v.push(FieldError::new("municipality_code", "not_applicable", "only a municipality or a town has a municipality code"));
        }
        if self.population.is_some_and(|p| p < 0) {
            v.push(FieldError::new("population", "negative", "population cannot be negative"));
        }
        v.into_result().map(|()| self)
    }
}

/// A socially excluded locality inside a territorial unit.
#[derive(Debug, Clone, PartialEq)]
pub struct ExcludedLocalityData {
    pub territorial_unit_id: Uuid,
    pub name: String,
    pub estimated_residents: Option<i64>,
    pub description: Option<String>,
}

impl ExcludedLocalityData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        non_blank(&mut v, "name", &self.name);
        if self.estimated_residents.is_some_and(|p| p < 0) {
            v.push(FieldError::new("estimated_residents", "negative", "estimated residents cannot be negative"));
        }
        v.into_result().map(|()| self)
    }
}

/// A member organisation (or a candidate one).
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationData {
    pub external_ref: Option<String>,
    pub name: String,
    pub kind: OrganizationKind,
    pub ico: Option<String>,
    pub address: Option<String>,
    pub web: Option<String>,
}

impl OrganizationData {
    pub fn validate(mut self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        non_blank(&mut v, "name", &self.name);
        if let Some(ico) = self.ico.take() {
            self.ico = v.check(Ico::parse("ico", &ico)).map(Ico::into_inner);
        }
        if let Some(web) = self.web.take() {
            self.web = v.check(parse_web("web", &web));
        }
        v.into_result().map(|()| self)
    }
}

/// A person: personal data, never public and never logged.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonData {
    pub external_ref: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organization_id: Option<Uuid>,
    pub job_title: Option<String>,
}

impl PersonData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        non_blank(&mut v, "name", &self.name);
        if let Some(phone) = &self.phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if digits < 9 || !phone.chars().all(|c| c.is_ascii_digit() || " +-()/".contains(c)) {
                v.push(FieldError::new("phone", "format", "a phone number has at least 9 digits and only digits, spaces, + - ( ) /"));
            }
        }
        v.into_result().map(|()| self)
    }
}

/// A local partnership. Its status is not part of the content: it changes only by actions.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnershipData {
    pub external_ref: Option<String>,
    pub name: String,
    pub territorial_unit_ids: Vec<Uuid>,
    pub established_on: Option<NaiveDate>,
    pub memorandum_signed_on: Option<NaiveDate>,
    pub founding_act: Option<String>,
    /// Agency staff (people) assigned to guide the partnership.
    pub consultant_ids: Vec<Uuid>,
}

impl PartnershipData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        non_blank(&mut v, "name", &self.name);
        if self.territorial_unit_ids.is_empty() {
            v.push(FieldError::new("territorial_unit_ids", "empty", "a partnership covers at least one territorial unit"));
        }
        no_duplicates(&mut v, "territorial_unit_ids", self.territorial_unit_ids.iter().copied());
        no_duplicates(&mut v, "consultant_ids", self.consultant_ids.iter().copied());
        v.check(ensure_ordered(self.memorandum_signed_on, self.established_on, "established_on", "memorandum_signed_on"));
        v.into_result().map(|()| self)
    }
}

/// A partnership as stored: content plus lifecycle status.
#[derive(Debug, Clone, PartialEq)]
pub struct Partnership {
    pub data: PartnershipData,
    pub status: PartnershipStatus,
}

/// A person who represents a member organisation, with their function in the partnership.
#[derive(Debug, Clone, PartialEq)]
pub struct Representative {
    pub person_id: Uuid,
    pub function: Option<String>,
}

/// An organisation's membership in a partnership. History is kept: leaving sets `left_on`.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipData {
    pub partnership_id: Uuid,
    pub organization_id: Uuid,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub representatives: Vec<Representative>,
    pub note: Option<String>,
}

impl MembershipData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        v.check(ensure_ordered(Some(self.joined_on), self.left_on, "left_on", "joined_on"));
        no_duplicates(&mut v, "representatives", self.representatives.iter().map(|r| r.person_id));
        v.into_result().map(|()| self)
    }

    /// Whether the membership is in force on a day.
    pub fn is_active_on(&self, day: NaiveDate) -> bool {
        self.joined_on <= day && self.left_on.is_none_or(|left| left > day)
    }
}

/// A thematic working group of a partnership.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingGroupData {
    pub external_ref: Option<String>,
    pub partnership_id: Uuid,
    pub thematic_area: ThematicArea,
    pub name: String,
    pub coordinator_id: Option<Uuid>,
    pub member_ids: Vec<Uuid>,
}

impl WorkingGroupData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        non_blank(&mut v, "name", &self.name);
        no_duplicates(&mut v, "member_ids", self.member_ids.iter().copied());
        v.into_result().map(|()| self)
    }
}

/// One person's attendance at a meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct Attendance {
    pub person_id: Uuid,
    pub status: AttendanceStatus,
}

/// A numbered resolution (usnesení) adopted at a meeting.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Resolution {
    pub number: i32,
    pub text: String,
}

/// A meeting of a partnership, or of one of its working groups.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingData {
    pub external_ref: Option<String>,
    pub partnership_id: Uuid,
    pub working_group_id: Option<Uuid>,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub place: Option<String>,
    pub agenda: Vec<String>,
    pub minutes: Option<String>,
    pub attendance: Vec<Attendance>,
    pub resolutions: Vec<Resolution>,
}

impl MeetingData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        non_blank(&mut v, "title", &self.title);
        if self.ends_at.is_some_and(|end| end < self.starts_at) {
            v.push(FieldError::new("ends_at", "before_start", "ends_at is before starts_at"));
        }
        for (i, item) in self.agenda.iter().enumerate() {
            non_blank(&mut v, &format!("agenda[{i}]"), item);
        }
        no_duplicates(&mut v, "attendance", self.attendance.iter().map(|a| a.person_id));
        let mut numbers = std::collections::HashSet::new();
        for (i, r) in self.resolutions.iter().enumerate() {
            if r.number < 1 {
                v.push(FieldError::new(format!("resolutions[{i}].number"), "not_positive", "resolution numbers start at 1"));
            }
            if !numbers.insert(r.number) {
                v.push(FieldError::new(format!("resolutions[{i}].number"), "duplicate", format!("resolution {} is numbered twice", r.number)));
            }
            non_blank(&mut v, &format!("resolutions[{i}].text"), &r.text);
        }
        v.into_result().map(|()| self)
    }
}

/// A meeting of a working group is a meeting of that group's partnership: the group named
/// must exist (`group_partnership` is its partnership, `None` when there is no such group)
/// and belong to the meeting's partnership (422 `not_in_partnership` otherwise).
pub fn ensure_group_of(partnership_id: Uuid, group_partnership: Option<Uuid>) -> Result<(), DomainError> {
    if group_partnership == Some(partnership_id) {
        Ok(())
    } else {
        Err(DomainError::invalid("working_group_id", "not_in_partnership", "the working group does not belong to this partnership"))
    }
}

/// An action item (úkol) agreed at a meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionItemData {
    pub meeting_id: Uuid,
    pub title: String,
    pub owner_id: Option<Uuid>,
    pub due_on: Option<NaiveDate>,
    pub status: ActionItemStatus,
}

impl ActionItemData {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        non_blank(&mut v, "title", &self.title);
        v.into_result().map(|()| self)
    }

    /// Overdue: still open after its due date.
    pub fn is_overdue_on(&self, day: NaiveDate) -> bool {
        self.status == ActionItemStatus::Open && self.due_on.is_some_and(|due| due < day)
    }
}

/// An archived organization is no current member of any partnership: its memberships do not
/// count as current, and it takes no new role (a measure's responsible implementer, a
/// project's applicant): 422 `organization_archived` on `field`.
pub fn ensure_active_organization(field: &str, archived: bool) -> Result<(), DomainError> {
    if archived { Err(DomainError::invalid(field, "organization_archived", "the organization is archived and no longer a current member")) } else { Ok(()) }
}

/// An organization's standing in one partnership: the facts that decide whether it is a
/// member on a day. Loaded by the store; judged here, once, for every rule that asks
/// (a measure's responsible implementer, a project's applicant, the memberships list filter
/// `active_on` implements the same definition in SQL).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Standing {
    /// The organization is archived: no current member of anything.
    pub organization_archived: bool,
    /// Its memberships of the partnership that are not archived.
    pub memberships: Vec<MembershipData>,
}

impl Standing {
    /// Whether the organization is a member on `day`: not archived, and one of its memberships
    /// has begun (`joined_on ≤ day`) and not ended (`left_on` after `day`; a member leaves on
    /// `left_on` and is no member that day).
    pub fn is_member_on(&self, day: NaiveDate) -> bool {
        !self.organization_archived && self.memberships.iter().any(|m| m.is_active_on(day))
    }
}

/// The organization in `field` must be a member of the partnership on `day`: 422 with code
/// `organization_archived` for an archived organization, `not_a_member` otherwise.
pub fn ensure_member(field: &str, standing: &Standing, day: NaiveDate, message: &str) -> Result<(), DomainError> {
    ensure_active_organization(field, standing.organization_archived)?;
    if standing.is_member_on(day) { Ok(()) } else { Err(DomainError::invalid(field, "not_a_member", message)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(ico: Option<&str>, web: Option<&str>) -> OrganizationData {
        OrganizationData {
            external_ref: None,
            name: "Město Žlutice".into(),
            kind: OrganizationKind::Municipality,
            ico: ico.map(Into::into),
            address: None,
            web: web.map(Into::into),
        }
    }

    fn codes(r: Result<impl std::fmt::Debug, DomainError>) -> Vec<(String, String)> {
        match r {
            Err(DomainError::Invalid(errors)) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn organization_ico_is_normalised_and_checked() {
        assert_eq!(org(Some("0551023"), None).validate().map(|o| o.ico), Ok(Some("00551023".into())));
        assert_eq!(codes(org(Some("00551024"), Some("ftp://x")).validate()), vec![("ico".into(), "check_digit".into()), ("web".into(), "format".into())]);
    }

    #[test]
    fn membership_cannot_end_before_it_starts() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let m = MembershipData {
            partnership_id: Uuid::nil(),
            organization_id: Uuid::nil(),
            joined_on: d("2024-05-01"),
            left_on: Some(d("2024-04-30")),
            representatives: vec![],
            note: None,
        };
        assert_eq!(codes(m.clone().validate()), vec![("left_on".into(), "before_start".into())]);
        let ok = MembershipData { left_on: Some(d("2024-06-01")), ..m };
        assert!(ok.is_active_on(d("2024-05-01")));
        assert!(!ok.is_active_on(d("2024-06-01")));
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn membership_boundaries() {
        let member = |joined: &str, left: Option<&str>| MembershipData {
            partnership_id: Uuid::nil(),
            organization_id: Uuid::nil(),
            joined_on: d(joined),
            left_on: left.map(d),
            representatives: vec![],
            note: None,
        };
        let standing = |archived: bool, memberships: Vec<MembershipData>| Standing { organization_archived: archived, memberships };
        let msg = "must be a member";
        // (standing, day, expected error code or None)
        let cases: Vec<(Standing, &str, Option<&str>)> = vec![
            (standing(false, vec![]), "2024-01-01", Some("not_a_member")),
            (standing(false, vec![member("2024-01-01", None)]), "2024-01-01", None),
            (standing(false, vec![member("2024-01-01", None)]), "2023-12-31", Some("not_a_member")),
            // A membership that begins in the future is no membership today.
            (standing(false, vec![member("2099-01-01", None)]), "2026-12-01", Some("not_a_member")),
            // A member leaves on `left_on`: it is no member that day, it was the day before.
            (standing(false, vec![member("2020-01-01", Some("2024-06-01"))]), "2024-06-01", Some("not_a_member")),
            (standing(false, vec![member("2020-01-01", Some("2024-06-01"))]), "2024-05-31", None),
            // A second, later membership counts.
            (standing(false, vec![member("2020-01-01", Some("2021-01-01")), member("2022-01-01", None)]), "2023-01-01", None),
            // An archived organization is no member even with a current membership.
            (standing(true, vec![member("2020-01-01", None)]), "2024-01-01", Some("organization_archived")),
        ];
        for (s, day, expected) in cases {
            let got = ensure_member("applicant_organization_id", &s, d(day), msg).err().map(|e| codes(Err::<(), _>(e))[0].1.clone());
            assert_eq!(got.as_deref(), expected, "{s:?} on {day}");
            assert_eq!(s.is_member_on(d(day)), expected.is_none());
        }
    }

    #[test]
    fn meeting_resolutions_are_numbered_uniquely() {
        let m = MeetingData {
            external_ref: None,
            partnership_id: Uuid::nil(),
            working_group_id: None,
            title: "Setkání".into(),
            starts_at: Utc::now(),
            ends_at: None,
            place: None,
            agenda: vec!["".into()],
            minutes: None,
            attendance: vec![],
            resolutions: vec![Resolution { number: 1, text: "a".into() }, Resolution { number: 1, text: "b".into() }],
        };
        assert_eq!(codes(m.validate()), vec![("agenda[0]".into(), "blank".into()), ("resolutions[1].number".into(), "duplicate".into())]);
    }

    #[test]
    fn territorial_unit_code_only_for_municipalities() {
        let unit = TerritorialUnitData {
            external_ref: None,
            kind: TerritorialUnitKind::Microregion,
            name: "Rozvodí".into(),
            municipality_code: Some("555771".into()),
            region: Region::Cz041,
            population: Some(-1),
        };
        assert_eq!(codes(unit.validate()), vec![("municipality_code".into(), "not_applicable".into()), ("population".into(), "negative".into())]);
    }

    #[test]
    fn overdue_means_open_past_due() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let item = ActionItemData { meeting_id: Uuid::nil(), title: "t".into(), owner_id: None, due_on: Some(d("2024-01-10")), status: ActionItemStatus::Open };
        assert!(!item.is_overdue_on(d("2024-01-10")));
        assert!(item.is_overdue_on(d("2024-01-11")));
        assert!(!ActionItemData { status: ActionItemStatus::Done, ..item }.is_overdue_on(d("2024-01-11")));
    }

    #[test]
    fn an_archived_organization_takes_no_new_role() {
        assert!(ensure_active_organization("applicant_organization_id", false).is_ok());
        match ensure_active_organization("applicant_organization_id", true) {
            Err(DomainError::Invalid(e)) => assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("applicant_organization_id", "organization_archived")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_meeting_names_a_group_of_its_own_partnership() {
        let (ours, theirs) = (Uuid::from_u128(1), Uuid::from_u128(2));
        // (the named group's partnership, whether the meeting may name it)
        let table = [(Some(ours), true), (Some(theirs), false), (None, false)];
        for (group_partnership, allowed) in table {
            let result = ensure_group_of(ours, group_partnership);
            assert_eq!(result.is_ok(), allowed, "{group_partnership:?}");
            if !allowed {
                assert_eq!(codes(result), vec![("working_group_id".to_owned(), "not_in_partnership".to_owned())]);
            }
        }
    }
}
