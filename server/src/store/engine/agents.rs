//! The agent storage traits on either engine: each method runs its `ops` function off the async threads (the
//! per-request key lookup inline, as session and API key lookups are).

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{
    agents::{AgentKeyInfo, OrgKeyInfo, StoredEvent},
    vulnerabilities::Vulnerability,
};
use uuid::Uuid;

use super::{Engine, TxEngine};
use crate::store::ops;
use crate::store::{
    AgentKeyCaller, AgentReads, AgentWrites, LicenseFacts, NewAgentEventRow, NewAgentKeyRow, NewApplicationRow,
    NewVulnerabilityRow, StoreResult, VulnerabilityRef,
};

#[async_trait]
impl<E: Engine> AgentReads for E {
    async fn agent_key_caller(&self, key_hash: &str) -> StoreResult<Option<AgentKeyCaller>> {
        let key_hash = key_hash.to_owned();
        self.read_point(move |c| ops::agent_key_caller(c, &key_hash)).await
    }

    async fn agent_keys(&self, org_id: Uuid) -> StoreResult<Vec<AgentKeyInfo>> {
        self.read(move |c| ops::agent_keys(c, org_id)).await
    }

    async fn org_key(&self, org_id: Uuid) -> StoreResult<Option<OrgKeyInfo>> {
        self.read_point(move |c| Ok(ops::org_key(c, org_id)?.map(|(_, info)| info)))
            .await
    }

    async fn vulnerabilities(
        &self,
        org_id: Uuid,
        application_id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Option<Vec<Vulnerability>>> {
        self.read(move |c| ops::vulnerabilities(c, org_id, application_id, after, limit))
            .await
    }

    async fn vulnerability(&self, org_id: Uuid, id: Uuid) -> StoreResult<Option<(Vulnerability, String)>> {
        self.read(move |c| ops::vulnerability(c, org_id, id)).await
    }
}

#[async_trait]
impl<T: TxEngine> AgentWrites for T {
    async fn agent_key(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<Option<AgentKeyInfo>> {
        self.run(move |c| ops::agent_key(c, org_id, id)).await
    }

    async fn org_key_tx(&mut self, org_id: Uuid) -> StoreResult<Option<(Uuid, OrgKeyInfo)>> {
        self.run(move |c| ops::org_key(c, org_id)).await
    }

    async fn agent_key_count(&mut self, org_id: Uuid) -> StoreResult<u64> {
        self.run(move |c| ops::agent_key_count(c, org_id)).await
    }

    async fn insert_agent_key(&mut self, row: &NewAgentKeyRow) -> StoreResult<()> {
        let row = row.clone();
        self.run(move |c| ops::insert_agent_key(c, &row)).await
    }

    async fn rotate_agent_key(
        &mut self,
        id: Uuid,
        key_hash: &str,
        prefix: &str,
        at: Timestamp,
        replaced_until: Option<Timestamp>,
    ) -> StoreResult<()> {
        let (key_hash, prefix) = (key_hash.to_owned(), prefix.to_owned());
        self.run(move |c| ops::rotate_agent_key(c, id, &key_hash, &prefix, at, replaced_until))
            .await
    }

    async fn delete_agent_key(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.run(move |c| ops::delete_agent_key(c, org_id, id)).await
    }

    async fn touch_agent_key(&mut self, id: Uuid, at: Timestamp) -> StoreResult<()> {
        self.run(move |c| ops::touch_agent_key(c, id, at)).await
    }

    async fn agent_event(&mut self, org_id: Uuid, event_id: &str) -> StoreResult<Option<StoredEvent>> {
        let event_id = event_id.to_owned();
        self.run(move |c| ops::agent_event(c, org_id, &event_id)).await
    }

    async fn insert_agent_event(&mut self, row: &NewAgentEventRow) -> StoreResult<()> {
        let row = row.clone();
        self.run(move |c| ops::insert_agent_event(c, &row)).await
    }

    async fn insert_vulnerability(&mut self, row: &NewVulnerabilityRow) -> StoreResult<()> {
        let row = row.clone();
        self.run(move |c| ops::insert_vulnerability(c, &row)).await
    }

    async fn tracker_issue_claim(
        &mut self,
        vulnerability: Uuid,
        integration: Uuid,
    ) -> StoreResult<Option<(String, String, Timestamp)>> {
        self.run(move |c| ops::tracker_issue_claim(c, vulnerability, integration))
            .await
    }

    async fn put_tracker_issue(
        &mut self,
        org_id: Uuid,
        vulnerability: Uuid,
        issue: &orgdeck_shared::integrations::TrackerIssue,
    ) -> StoreResult<()> {
        let issue = issue.clone();
        self.run(move |c| ops::put_tracker_issue(c, org_id, vulnerability, &issue))
            .await
    }

    async fn drop_tracker_claim(&mut self, vulnerability: Uuid, integration: Uuid) -> StoreResult<()> {
        self.run(move |c| ops::drop_tracker_claim(c, vulnerability, integration))
            .await
    }

    async fn vulnerability_of_event(&mut self, org_id: Uuid, event_id: &str) -> StoreResult<Option<VulnerabilityRef>> {
        let event_id = event_id.to_owned();
        self.run(move |c| ops::vulnerability_of_event(c, org_id, &event_id))
            .await
    }

    async fn application_id(&mut self, org_id: Uuid, name: &str) -> StoreResult<Option<Uuid>> {
        let name = name.to_owned();
        self.run(move |c| ops::application_id(c, org_id, &name)).await
    }

    async fn insert_reported_application(&mut self, row: &NewApplicationRow) -> StoreResult<()> {
        let row = row.clone();
        self.run(move |c| ops::insert_reported_application(c, &row)).await
    }

    async fn license_facts(&mut self, org_id: Uuid) -> StoreResult<LicenseFacts> {
        self.run(move |c| ops::licenses(c, org_id)).await
    }
}
