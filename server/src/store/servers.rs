//! The storage traits of servers (agents), license allocation, and what scores and reports are made of
//! (split from [`super::Store`] and [`super::WriteTx`] to keep each file small).

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{
    general::Environment,
    inventory::{Application, Library, Server},
    reports::render::Finding,
    servers::{EnvironmentOrigin, ServerStatus},
};
use uuid::Uuid;

use super::StoreResult;

/// A page of the server list: filters, the place after which it starts (name, id), its size, and the
/// time that decides who is online.
#[derive(Debug, Clone)]
pub struct ServerFilter {
    /// Lower-case text the name or hostname contains.
    pub q: Option<String>,
    pub environment: Option<Environment>,
    pub status: Option<ServerStatus>,
    pub licensed: Option<bool>,
    pub after: Option<(String, Uuid)>,
    pub limit: u32,
    pub now: Timestamp,
}

/// Servers of every organization silent since before `before`, by the time last heard from (then id),
/// after the place `after`, at most `limit`.
#[derive(Debug, Clone)]
pub struct SilentQuery {
    pub before: Timestamp,
    /// Only those whose `server_offline` was not raised yet.
    pub unraised_only: bool,
    pub after: Option<(Timestamp, Uuid)>,
    pub limit: u32,
    pub now: Timestamp,
}

/// A server silent since before some time, with its organization.
#[derive(Debug, Clone)]
pub struct SilentServer {
    pub org_id: Uuid,
    pub server: Server,
    /// Whether `server_offline` was raised for this silence.
    pub offline_raised: bool,
}

/// A server to store at its first registration.
#[derive(Debug, Clone)]
pub struct NewServerRow {
    pub org_id: Uuid,
    pub server: Server,
    pub origin: EnvironmentOrigin,
}

#[async_trait]
pub trait ServerReads {
    /// One page of the organization's servers by name.
    async fn servers_page(&self, org_id: Uuid, filter: &ServerFilter) -> StoreResult<Vec<Server>>;

    /// Servers of every organization silent as `query` says, longest silent first.
    async fn servers_silent(&self, query: &SilentQuery) -> StoreResult<Vec<SilentServer>>;

    /// One application of the organization, with its open vulnerability counts.
    async fn application(&self, org_id: Uuid, id: Uuid) -> StoreResult<Option<Application>>;

    /// The application's libraries by name; `None` when the organization has no such application.
    async fn libraries(&self, org_id: Uuid, application_id: Uuid) -> StoreResult<Option<Vec<Library>>>;

    /// Every library of the organization's applications, with its application's id.
    async fn all_libraries(&self, org_id: Uuid) -> StoreResult<Vec<(Uuid, Library)>>;

    /// Every vulnerability of the application with its notes (the comments its agents reported).
    async fn findings(&self, org_id: Uuid, application_id: Uuid) -> StoreResult<Vec<Finding>>;
}

#[async_trait]
pub trait ServerWrites {
    /// The organization's server registered under this name and hostname, with how its environment was
    /// decided.
    async fn server_by_identity(
        &mut self,
        org_id: Uuid,
        name: &str,
        hostname: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(Server, EnvironmentOrigin)>>;

    /// One server of the organization as this transaction sees it (its status at `now`).
    async fn server(&mut self, org_id: Uuid, id: Uuid, now: Timestamp) -> StoreResult<Option<Server>>;

    async fn insert_registered_server(&mut self, row: &NewServerRow) -> StoreResult<()>;

    /// A registration again: what the agent says now, heard from at `at` (its silence ends).
    async fn update_registration(
        &mut self,
        id: Uuid,
        server: &Server,
        origin: EnvironmentOrigin,
        at: Timestamp,
    ) -> StoreResult<()>;

    /// A heartbeat: heard from at `at`; returns whether `server_offline` had been raised (it is cleared).
    async fn beat(&mut self, id: Uuid, at: Timestamp, agent_version: Option<&str>) -> StoreResult<bool>;

    /// An admin moved the server.
    async fn set_server_environment(&mut self, id: Uuid, environment: Environment) -> StoreResult<()>;

    async fn set_server_licensed(&mut self, id: Uuid, licensed: bool) -> StoreResult<()>;

    async fn set_application_licensed(&mut self, org_id: Uuid, id: Uuid, licensed: bool) -> StoreResult<bool>;

    /// One application of the organization as this transaction sees it.
    async fn application_tx(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<Option<Application>>;

    /// Removes a server; false when there was none.
    async fn delete_server(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<bool>;

    /// Marks the server's `server_offline` raised, when it is still silent since before `before` and was
    /// not marked yet; false otherwise (a heartbeat came, or another pass raised it).
    async fn mark_offline_raised(&mut self, id: Uuid, before: Timestamp) -> StoreResult<bool>;

    /// Stores what the application loads of a library (replacing what was known of it).
    async fn upsert_library(
        &mut self,
        org_id: Uuid,
        application_id: Uuid,
        library: &Library,
        at: Timestamp,
    ) -> StoreResult<()>;
}
