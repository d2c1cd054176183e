//! Black-box HTTP tests: one binary, a real server per test on 127.0.0.1:0, its own database.
//! Run on SQLite by default and on PostgreSQL with `TEST_DATABASE_URL=postgres://…`.

mod helpers;

mod access;
mod changes;
mod contract;
mod conventions;
mod cooperations;
mod esif;
mod exports;
mod hardening;
mod identity;
mod imports;
mod imports_esif;
mod imports_records;
mod indicators;
mod lifecycle;
mod meetings;
mod migrations;
mod monitoring;
mod pages;
mod plans;
mod platform;
mod recruitment;
mod registry;
mod roles;
mod support_projects;
mod views;
mod webhooks;
