//! `GET events/stream`: the caller's organization's changes as server-sent events, read from the audit
//! log after each commit. A client that reconnects with `Last-Event-ID` gets what it missed (or `reload`
//! when that is more than can be replayed). The stream ends when the caller's session or key no longer
//! holds; it never keeps a session alive by itself.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::State,
    http::{HeaderMap, request::Parts},
    response::{
        IntoResponse,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::stream::{self, Stream};
use orgdeck_shared::{
    events::{CHANGE, ChangeEvent, RELOAD, REPLAY_MAX, endpoints as ep},
    general::GeneralSettings,
};
use uuid::Uuid;

use super::Reply;
use crate::{
    auth::{self, AuthUser},
    error::AppResult,
    state::AppState,
};

/// How often an idle stream checks that its credential still holds (and sends a keep-alive comment).
const CHECK_EVERY: Duration = Duration::from_secs(15);

pub async fn stream(
    State(state): State<AppState>,
    user: AuthUser,
    parts: Parts,
    headers: HeaderMap,
) -> AppResult<Reply<ep::Stream>> {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let head = state.store.change_head(user.org_id).await?;
    let events = changes(state, user.org_id, parts, resume.unwrap_or(head), resume.is_some());
    let sse = Sse::new(events).keep_alive(KeepAlive::new().interval(CHECK_EVERY).text("keep-alive"));
    let mut response = sse.into_response();
    // Proxies must pass each event on at once.
    response
        .headers_mut()
        .insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    Ok(Reply::stream(response))
}

struct Follow {
    state: AppState,
    org_id: Uuid,
    parts: Parts,
    after: i64,
    commits: tokio::sync::watch::Receiver<u64>,
    /// Events read and not sent yet.
    pending: std::collections::VecDeque<Event>,
    /// A resumed client first gets what it missed.
    replay: bool,
    done: bool,
}

fn changes(
    state: AppState,
    org_id: Uuid,
    parts: Parts,
    after: i64,
    replay: bool,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let commits = state.store.commits();
    let follow = Follow {
        state,
        org_id,
        parts,
        after,
        commits,
        pending: Default::default(),
        replay,
        done: false,
    };
    stream::unfold(follow, |mut f| async move {
        loop {
            if let Some(event) = f.pending.pop_front() {
                return Some((Ok(event), f));
            }
            if f.done {
                return None;
            }
            if f.replay {
                f.replay = false;
            } else {
                // Wait for a commit, or check the credential now and then while nothing happens.
                let waited = tokio::select! {
                    _ = f.state.closed() => return None,
                    waited = tokio::time::timeout(CHECK_EVERY, f.commits.changed()) => waited,
                };
                match waited {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return None,
                    Err(_) => {
                        if !auth::still_valid(&f.state, &f.parts).await {
                            return None;
                        }
                        continue;
                    }
                }
            }
            if !auth::still_valid(&f.state, &f.parts).await {
                return None;
            }
            let read = f.state.store.changes_after(f.org_id, f.after, REPLAY_MAX + 1).await;
            let Ok(mut changes) = read else {
                tracing::warn!("live updates: reading the changes failed; the stream ends");
                return None;
            };
            if changes.len() > REPLAY_MAX {
                // More than can be replayed: read everything again, from the newest place.
                let head = changes.last().map_or(f.after, |c| c.seq);
                f.after = f.state.store.change_head(f.org_id).await.unwrap_or(head).max(head);
                f.pending
                    .push_back(Event::default().event(RELOAD).id(f.after.to_string()).data("{}"));
                continue;
            }
            for change in &mut changes {
                f.after = f.after.max(change.seq);
                change.version = version_of(&f.state, f.org_id, change).await;
                if let Ok(event) = Event::default()
                    .event(CHANGE)
                    .id(change.seq.to_string())
                    .json_data(&*change)
                {
                    f.pending.push_back(event);
                }
            }
        }
    })
}

/// The new version of a changed settings document or integration (what a console compares its edit's
/// version with; none once it is deleted).
async fn version_of(state: &AppState, org_id: Uuid, change: &ChangeEvent) -> Option<i64> {
    if change.area == crate::services::integrations::AREA {
        let id = change.id.parse().ok()?;
        return Some(state.store.integration(org_id, id).await.ok()??.view.version);
    }
    if change.area != "settings" {
        return None;
    }
    if change.id == orgdeck_shared::routes::area::GENERAL {
        let general: orgdeck_shared::Versioned<GeneralSettings> = state.store.general_settings(org_id).await.ok()?;
        return Some(general.version);
    }
    state.store.settings_doc(org_id, &change.id).await.ok()?.map(|(v, _)| v)
}
