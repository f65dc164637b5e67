//! Reading a live-update stream (`GET events/stream`) event by event, as a console does.

use std::time::Duration;

use orgdeck_shared::{events::ChangeEvent, routes};
use reqwest::{Method, StatusCode};

use super::TestServer;

/// One server-sent event: its name, id and data.
#[derive(Debug)]
pub struct Sse {
    pub event: String,
    pub id: String,
    pub data: String,
}

/// Reads a stream's events as they come.
pub struct Reader {
    resp: reqwest::Response,
    buf: String,
}

impl Reader {
    pub async fn open(s: &TestServer, token: &str, last: Option<&str>) -> Reader {
        let mut req = s.request(Method::GET, routes::EVENTS_STREAM, Some(token)).await;
        if let Some(id) = last {
            req = req.header("last-event-id", id);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        Reader {
            resp,
            buf: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped); `None` when the stream ended.
    pub async fn next(&mut self) -> Option<Sse> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut e = Sse {
                    event: String::new(),
                    id: String::new(),
                    data: String::new(),
                };
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        e.event = v.trim().into();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        e.id = v.trim().into();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        e.data.push_str(v.trim());
                    }
                }
                if !e.event.is_empty() {
                    return Some(e);
                }
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.resp.chunk())
                .await
                .expect("an event within 10 s")
                .ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    pub async fn change(&mut self) -> ChangeEvent {
        let e = self.next().await.expect("an event");
        assert_eq!(e.event, "change", "{e:?}");
        let change: ChangeEvent = serde_json::from_str(&e.data).unwrap();
        assert_eq!(e.id, change.seq.to_string());
        change
    }
}
