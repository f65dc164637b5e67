//! The rules of each area, between the routes (HTTP) and the store (SQL).

pub mod agents;
pub mod api_keys;
pub mod audit;
pub mod audit_export;
pub mod fanout;
pub mod groups;
pub mod import;
pub mod integrations;
pub mod licensing;
pub mod notifications;
pub mod passwords;
pub mod reports;
pub mod scoring;
pub mod servers;
pub mod sessions;
pub mod settings;
pub mod user_actions;
pub mod users;
