//! The Security tab's documents on the wire: each section's document is one of [`SecurityDoc`], so the
//! tab's messages carry that; [`SecurityDocument`] maps a section's type to and from it and makes it a
//! [`Document`] of the shared editing state ([`DocState`]).

use orgdeck_shared::{ApiError, FieldError, Versioned, settings::SettingsArea};

use super::SecurityMsg;
use crate::api::{SecurityArea, SecurityDoc};
pub use crate::tabs::doc::{Arrival, DocState, Document, MergeStep};

/// A security settings document as the tab sees it on the wire.
pub trait SecurityDocument: SettingsArea + PartialEq + Sized {
    const AREA: SecurityArea;
    /// As messages name it ("password policy").
    const TITLE: &'static str;
    fn wrap(self) -> SecurityDoc;
    fn unwrap(doc: &SecurityDoc) -> Option<&Self>;
    fn validate(&self) -> Result<(), Vec<FieldError>>;
    /// The form the server keeps it in (a preset's fixed values filled in), so comparing is fair.
    fn canonical(&self) -> Self {
        self.clone()
    }
}

impl<D: SecurityDocument> Document for D {
    const TITLE: &'static str = <D as SecurityDocument>::TITLE;
    type Msg = SecurityMsg;
    fn read_msg(result: Result<Versioned<Self>, ApiError>) -> SecurityMsg {
        SecurityMsg::Read(D::AREA, result.map(wrapped))
    }
    fn saved_msg(sent: &Self, result: Result<Versioned<Self>, ApiError>) -> SecurityMsg {
        SecurityMsg::Saved {
            sent: sent.clone().wrap(),
            result: result.map(wrapped),
        }
    }
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        SecurityDocument::validate(self)
    }
    fn canonical(&self) -> Self {
        SecurityDocument::canonical(self)
    }
}

fn wrapped<D: SecurityDocument>(v: Versioned<D>) -> Versioned<SecurityDoc> {
    Versioned {
        version: v.version,
        value: v.value.wrap(),
    }
}

/// An answer of the tab's as this section's document: `None` when it carries another section's.
pub fn typed<D: SecurityDocument>(
    result: &Result<Versioned<SecurityDoc>, ApiError>,
) -> Option<Result<Versioned<D>, &ApiError>> {
    match result {
        Ok(v) => D::unwrap(&v.value).map(|d| {
            Ok(Versioned {
                version: v.version,
                value: d.clone(),
            })
        }),
        Err(e) => Some(Err(e)),
    }
}
