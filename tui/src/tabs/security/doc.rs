//! One versioned security document: where its load stands, the edits on top of it, and what a save
//! answer does to them (412 keeps the edits until `r`, 422 shows the server's errors inline). Shared by
//! the form sections and the IP list.

use orgdeck_shared::{
    ApiError, ErrorCode, FieldError, Versioned,
    settings::{
        SettingsArea,
        endpoints::{Get, Put},
    },
};

use super::SecurityMsg;
use crate::{
    api::{Call, SecurityArea, SecurityDoc, needs_login},
    tabs::{Effects, general::Load},
    widgets::ToastLevel,
};

/// A security settings document as the tab sees it on the wire.
pub trait Document: SettingsArea + PartialEq + Sized {
    const AREA: SecurityArea;
    fn wrap(self) -> SecurityDoc;
    fn unwrap(doc: &SecurityDoc) -> Option<&Self>;
    fn validate(&self) -> Result<(), Vec<FieldError>>;
    /// The form the server keeps it in (a preset's fixed values filled in), so comparing is fair.
    fn canonical(&self) -> Self {
        self.clone()
    }
}

/// `GET settings/{D}`, answered as one of the tab's documents.
fn read_call<D: Document>() -> Call {
    Call::of::<Get<D>, _>((), |result| SecurityMsg::Read(D::AREA, result.map(wrapped)))
        .label("loading security settings")
}

fn wrapped<D: Document>(v: Versioned<D>) -> Versioned<SecurityDoc> {
    Versioned {
        version: v.version,
        value: v.value.wrap(),
    }
}

/// What an answer to a read or a save means for the edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Show the document (replacing the edits).
    Refill,
    /// Keep the edits; nothing to redraw from the document.
    Keep,
}

pub struct DocState<D> {
    pub doc: Load<Versioned<D>>,
    pub saving: bool,
    /// A save was refused because someone else saved first: the edits stay until the user reloads.
    pub stale: bool,
    /// The next document that arrives replaces the edits (the user asked).
    replace_on_load: bool,
    /// Errors the server reported for fields not edited since.
    pub server_errors: Vec<FieldError>,
}

impl<D: Document> DocState<D> {
    pub fn new() -> Self {
        DocState {
            doc: Load::NotLoaded,
            saving: false,
            stale: false,
            replace_on_load: false,
            server_errors: Vec::new(),
        }
    }

    pub fn base(&self) -> Option<&Versioned<D>> {
        self.doc.loaded()
    }

    pub fn load(&mut self, fx: &mut Effects) {
        if self.doc.loaded().is_none() {
            self.doc = Load::Loading;
        }
        fx.call(read_call::<D>());
    }

    pub fn reload(&mut self, fx: &mut Effects) {
        self.replace_on_load = true;
        if self.doc.loaded().is_none() {
            self.doc = Load::Loading;
        }
        fx.call(read_call::<D>());
    }

    pub fn is_dirty(&self, edited: Option<&D>) -> bool {
        match (self.base(), edited) {
            (Some(base), Some(edited)) => base.value.canonical() != edited.canonical(),
            _ => false,
        }
    }

    /// Merges the shared validation's errors of `edited` with the server's for fields not edited since.
    pub fn errors(&mut self, edited: Option<&D>, changed: Option<&str>) -> Vec<FieldError> {
        if let Some(field) = changed {
            self.server_errors.retain(|e| !e.field.starts_with(field));
        }
        let mut errors = edited
            .map(|d| d.validate().err().unwrap_or_default())
            .unwrap_or_default();
        for e in &self.server_errors {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(e.clone());
            }
        }
        errors
    }

    /// Whether a save may go out now; says why not in a toast. `Ok` carries the version to send.
    pub fn check_save(&self, edited: &D, read_only: bool, fx: &mut Effects) -> Option<i64> {
        if read_only {
            fx.toast(ToastLevel::Warning, "Read-only profile: saving is disabled");
            return None;
        }
        let base = self.base()?;
        if self.saving {
            fx.toast(ToastLevel::Info, "Already saving…");
            return None;
        }
        if let Err(errors) = edited.validate() {
            fx.toast(
                ToastLevel::Error,
                format!("Not saved: fix {} field(s) first", errors.len()),
            );
            return None;
        }
        if base.value.canonical() == edited.canonical() {
            fx.toast(ToastLevel::Info, "Nothing to save");
            return None;
        }
        Some(base.version)
    }

    pub fn send(&mut self, version: i64, value: D, fx: &mut Effects) {
        self.saving = true;
        let sent = value.clone().wrap();
        let call = Call::new::<Put<D>, _>((), &value, move |result| SecurityMsg::Saved {
            sent: sent.clone(),
            result: result.map(wrapped),
        });
        fx.call(call.if_match(version).label("saving security settings"));
    }

    /// A read answered; `dirty` says whether the user has edits.
    pub fn arrived(
        &mut self,
        result: &Result<Versioned<SecurityDoc>, ApiError>,
        dirty: bool,
        fx: &mut Effects,
    ) -> Arrival {
        match result {
            Ok(v) => {
                let Some(value) = D::unwrap(&v.value) else {
                    return Arrival::Keep;
                };
                if self.replace_on_load || !dirty {
                    self.doc = Load::Loaded(Versioned {
                        version: v.version,
                        value: value.clone(),
                    });
                    self.stale = false;
                    self.replace_on_load = false;
                    self.server_errors.clear();
                    return Arrival::Refill;
                }
                if self.base().is_some_and(|mine| mine.version != v.version) {
                    // Keep the edits and the version they started from; saving will be refused as stale.
                    self.stale = true;
                }
                Arrival::Keep
            }
            Err(e) if needs_login(e) => Arrival::Keep,
            Err(e) => {
                if self.base().is_none() {
                    self.doc = Load::Failed(e.clone());
                } else {
                    fx.toast(ToastLevel::Error, format!("Reload failed: {}", e.message));
                }
                self.replace_on_load = false;
                Arrival::Keep
            }
        }
    }

    /// A save answered. Errors other than 412 and 422 come back for the caller to look at.
    pub fn saved<'a>(
        &mut self,
        result: &'a Result<Versioned<SecurityDoc>, ApiError>,
        fx: &mut Effects,
    ) -> Result<Arrival, &'a ApiError> {
        self.saving = false;
        match result {
            Ok(v) => {
                if let Some(value) = D::unwrap(&v.value) {
                    self.doc = Load::Loaded(Versioned {
                        version: v.version,
                        value: value.clone(),
                    });
                }
                self.stale = false;
                self.server_errors.clear();
                fx.toast(ToastLevel::Info, format!("Saved {}", D::AREA.title().to_lowercase()));
                Ok(Arrival::Refill)
            }
            Err(e) if e.code == ErrorCode::VersionMismatch => {
                self.stale = true;
                fx.toast(
                    ToastLevel::Warning,
                    "Not saved: someone else saved first. r reloads (drops your edits)",
                );
                Ok(Arrival::Keep)
            }
            Err(e) if needs_login(e) => Ok(Arrival::Keep),
            Err(e) => Err(e),
        }
    }

    /// A 422: its field errors show inline until the field is edited.
    pub fn rejected(&mut self, e: &ApiError, fx: &mut Effects) {
        self.server_errors = e.fields.clone();
        fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message));
    }
}

impl<D: Document> Default for DocState<D> {
    fn default() -> Self {
        Self::new()
    }
}
