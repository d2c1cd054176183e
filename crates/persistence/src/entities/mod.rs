//! sea-orm entities, one per table, mirroring the migrations. They stay inside this crate:
//! repositories translate them to domain records, and no handler or schema sees them.
//! (Written in the shape `sea-orm-cli generate entity` produces; relations are expressed
//! as explicit queries in the repositories instead.)

pub mod action_item;
pub mod analytical_finding;
pub mod audit_entry;
pub mod call;
pub mod call_partnership;
pub mod candidacy;
pub mod change;
pub mod cooperation;
pub mod counselling_record;
pub mod evaluation;
pub mod excluded_locality;
pub mod goal;
pub mod good_practice_event;
pub mod idempotency_key;
pub mod import_report;
pub mod indicator_value;
mod json_of;
pub mod measure;
pub mod meeting;
pub mod meeting_attendance;
pub mod membership;
pub mod membership_representative;
pub mod need;
pub mod operational_programme;
pub mod organization;
pub mod participatory_procedure;
pub mod partnership;
pub mod partnership_consultant;
pub mod partnership_territorial_unit;
pub mod person;
pub mod progress_report;
pub mod project;
pub mod project_measure;
pub mod quality_criterion;
pub mod recruitment_round;
pub mod situational_analysis;
pub mod strategic_plan;
pub mod support_project;
pub mod support_project_document;
pub mod supported_unit;
pub mod territorial_unit;
pub mod timeline_template;
pub mod webhook;
pub mod webhook_delivery;
pub mod working_group;
pub mod working_group_member;

pub use json_of::JsonOf;
