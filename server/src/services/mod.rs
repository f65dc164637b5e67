//! The rules of each area, between the routes (HTTP) and the store (SQL).

pub mod audit;
pub mod licensing;
pub mod settings;
