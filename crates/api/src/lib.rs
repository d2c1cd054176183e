//! The Inclusion HTTP API: actix-web handlers, auth, problem details, OpenAPI, Swagger UI,
//! configuration and telemetry. The `inclusion` binary (`main.rs`) is a thin CLI over this.

pub mod auth;
pub mod config;
pub mod context;
pub mod edge;
pub mod error;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod openapi;
pub mod render;
pub mod routes;
pub mod startup;
pub mod telemetry;
pub mod timestamp;
pub mod webhooks;
pub mod write;

pub use startup::Application;
