//! Serving: the accept loop (connection cap, TLS, header-read timeout, graceful shutdown) and the rules
//! every request and response share.

pub mod client_ip;
pub mod json;
pub mod layers;
pub mod query;
pub mod serve;
pub mod tls;
