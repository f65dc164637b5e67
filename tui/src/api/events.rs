//! Following the server's live updates (`GET events/stream`): server-sent events read as they come, each
//! `change` handed on as a [`ChangeEvent`]. The stream has no overall timeout; it ends when the server
//! goes away or the session ends, which is how the console notices a server that went away.

use orgdeck_shared::{
    ApiError,
    endpoint::Endpoint,
    events::{CHANGE, ChangeEvent, RELOAD, endpoints::Stream},
};

use super::{ApiClient, error_from_body, method, network_error};

/// What the stream said.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// The stream is open (the server answered 200).
    Opened,
    Change(ChangeEvent),
    /// More happened than can be replayed: read everything again (from `seq` on).
    Reload {
        seq: i64,
    },
}

impl ApiClient {
    /// Follows the stream from after `after` (none: from now), calling `on` with each event until it
    /// ends; answers why it ended.
    pub async fn follow(&self, after: Option<i64>, mut on: impl FnMut(StreamEvent) -> bool) -> Result<(), ApiError> {
        let mut rb = self
            .request(method(Stream::METHOD), Stream::PATH)
            .timeout(std::time::Duration::from_secs(365 * 24 * 3600));
        if let Some(after) = after {
            rb = rb.header("last-event-id", after.to_string());
        }
        let mut response = rb.send().await.map_err(network_error)?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.bytes().await.unwrap_or_default();
            return Err(error_from_body(status, &body));
        }
        if !on(StreamEvent::Opened) {
            return Ok(());
        }
        let mut buf = String::new();
        while let Some(chunk) = response.chunk().await.map_err(network_error)? {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                if let Some(event) = parse(&block)
                    && !on(event)
                {
                    return Ok(());
                }
            }
        }
        Err(ApiError::new(
            orgdeck_shared::ErrorCode::Network,
            "the server closed the live-update stream",
        ))
    }
}

/// One block of server-sent event lines; keep-alive comments and unknown events are `None`.
fn parse(block: &str) -> Option<StreamEvent> {
    let (mut event, mut id, mut data) = (String::new(), String::new(), String::new());
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("id:") {
            id = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    match event.as_str() {
        CHANGE => serde_json::from_str(&data).ok().map(StreamEvent::Change),
        RELOAD => id.parse().ok().map(|seq| StreamEvent::Reload { seq }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_parse_into_events_and_comments_are_skipped() {
        assert_eq!(parse(":keep-alive\n\n"), None);
        let change = "event: change\nid: 42\ndata: {\"seq\":42,\"at\":\"2026-11-28T21:30:00Z\",\"kind\":\"settings.update\",\"area\":\"settings\",\"id\":\"general\",\"version\":4,\"actor\":\"ana@acme.test\"}\n\n";
        let Some(StreamEvent::Change(c)) = parse(change) else {
            panic!()
        };
        assert_eq!((c.seq, c.version, c.actor.as_str()), (42, Some(4), "ana@acme.test"));
        assert_eq!(
            parse("event: reload\nid: 77\ndata: {}\n\n"),
            Some(StreamEvent::Reload { seq: 77 })
        );
    }
}
