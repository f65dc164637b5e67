//! The server storage traits on either engine: each method runs its `ops` function off the async threads.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{
    general::Environment,
    inventory::{Application, Library, Server},
    reports::render::Finding,
    servers::EnvironmentOrigin,
};
use uuid::Uuid;

use super::{Engine, TxEngine};
use crate::store::ops;
use crate::store::{NewServerRow, ServerFilter, ServerReads, ServerWrites, SilentQuery, SilentServer, StoreResult};

#[async_trait]
impl<E: Engine> ServerReads for E {
    async fn servers_page(&self, org_id: Uuid, filter: &ServerFilter) -> StoreResult<Vec<Server>> {
        let filter = filter.clone();
        self.read(move |c| ops::servers_page(c, org_id, &filter)).await
    }

    async fn servers_silent(&self, query: &SilentQuery) -> StoreResult<Vec<SilentServer>> {
        let query = query.clone();
        self.read(move |c| ops::servers_silent(c, &query)).await
    }

    async fn application(&self, org_id: Uuid, id: Uuid) -> StoreResult<Option<Application>> {
        self.read(move |c| ops::application(c, org_id, id)).await
    }

    async fn libraries(&self, org_id: Uuid, application_id: Uuid) -> StoreResult<Option<Vec<Library>>> {
        self.read(move |c| ops::libraries(c, org_id, application_id)).await
    }

    async fn all_libraries(&self, org_id: Uuid) -> StoreResult<Vec<(Uuid, Library)>> {
        self.read(move |c| ops::all_libraries(c, org_id)).await
    }

    async fn findings(&self, org_id: Uuid, application_id: Uuid) -> StoreResult<Vec<Finding>> {
        self.read(move |c| ops::findings(c, org_id, application_id)).await
    }
}

#[async_trait]
impl<T: TxEngine> ServerWrites for T {
    async fn server_by_identity(
        &mut self,
        org_id: Uuid,
        name: &str,
        hostname: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(Server, EnvironmentOrigin)>> {
        let (name, hostname) = (name.to_owned(), hostname.to_owned());
        self.run(move |c| ops::server_by_identity(c, org_id, &name, &hostname, now))
            .await
    }

    async fn server(&mut self, org_id: Uuid, id: Uuid, now: Timestamp) -> StoreResult<Option<Server>> {
        self.run(move |c| ops::server(c, org_id, id, now)).await
    }

    async fn insert_registered_server(&mut self, row: &NewServerRow) -> StoreResult<()> {
        let row = row.clone();
        self.run(move |c| ops::insert_registered_server(c, &row)).await
    }

    async fn update_registration(
        &mut self,
        id: Uuid,
        server: &Server,
        origin: EnvironmentOrigin,
        at: Timestamp,
    ) -> StoreResult<()> {
        let server = server.clone();
        self.run(move |c| ops::update_registration(c, id, &server, origin, at))
            .await
    }

    async fn beat(&mut self, id: Uuid, at: Timestamp, agent_version: Option<&str>) -> StoreResult<bool> {
        let version = agent_version.map(str::to_owned);
        self.run(move |c| ops::beat(c, id, at, version.as_deref())).await
    }

    async fn set_server_environment(&mut self, id: Uuid, environment: Environment) -> StoreResult<()> {
        self.run(move |c| ops::set_server_environment(c, id, environment)).await
    }

    async fn set_server_licensed(&mut self, id: Uuid, licensed: bool) -> StoreResult<()> {
        self.run(move |c| ops::set_server_licensed(c, id, licensed)).await
    }

    async fn set_application_licensed(&mut self, org_id: Uuid, id: Uuid, licensed: bool) -> StoreResult<bool> {
        self.run(move |c| ops::set_application_licensed(c, org_id, id, licensed))
            .await
    }

    async fn application_tx(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<Option<Application>> {
        self.run(move |c| ops::application(c, org_id, id)).await
    }

    async fn delete_server(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.run(move |c| ops::delete_server(c, org_id, id)).await
    }

    async fn mark_offline_raised(&mut self, id: Uuid, before: Timestamp) -> StoreResult<bool> {
        self.run(move |c| ops::mark_offline_raised(c, id, before)).await
    }

    async fn upsert_library(
        &mut self,
        org_id: Uuid,
        application_id: Uuid,
        library: &Library,
        at: Timestamp,
    ) -> StoreResult<()> {
        let library = library.clone();
        self.run(move |c| ops::upsert_library(c, org_id, application_id, &library, at))
            .await
    }
}
