//! The Reports area (SETTINGS.md section 9): the report settings as a form (report types, the statuses and
//! severities listed, notes, a custom footer), and under it the report of a chosen application rendered by
//! the server under the settings as edited (saved or not), as text in a scrollable pane. The preview follows
//! the edits (read again a moment after the last change that passes the checks); `A` chooses the
//! application, `W` writes the report to a file (`.html`: HTML, anything else Markdown; an existing file is
//! replaced only after a yes).

use std::time::Duration;

use crossterm::event::KeyEvent;
use orgdeck_shared::{
    ApiError, ErrorCode, Page, Versioned,
    inventory::{Application, endpoints::ListApplications},
    reports::{
        PreviewQuery, PreviewRequest, ReportFormat, ReportPreview, ReportSettings, ReportType,
        endpoints::{Preview, Render},
    },
    vulnerabilities::{Severity, VulnerabilityStatus},
};
use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Paragraph, Wrap},
};

use super::{
    Effects, Tab, TabCtx,
    doc::{Arrival, DocState, Document, Load, MergeStep},
    own,
};
use crate::{
    api::{Call, ExportReport, OwnerMsg, SaveTo, needs_login},
    keymap::{Action, ActionSpec, Scope, TabAction, spec},
    widgets::{
        Dialog, FieldSpec, Form, FormEvent, Prompt, ToastLevel,
        form::{EditKey, Multi, Text, Toggle},
        merge::Merge,
        overlay::PromptEvent,
    },
};

pub const TYPES: Multi<ReportSettings> = Multi::new("report_types");
pub const STATUSES: Multi<ReportSettings> = Multi::new("statuses");
pub const SEVERITIES: Multi<ReportSettings> = Multi::new("severities");
pub const NOTES: Toggle<ReportSettings> = Toggle::new("include_notes");
pub const FOOTER: Text<ReportSettings> = Text::new("custom_footer");

pub const CHOOSE_APPLICATION: Action = Action::Tab(TabAction("report_application"));
pub const WRITE: Action = Action::Tab(TabAction("report_write"));

pub const KEYS: &[ActionSpec] = &[
    spec(
        CHOOSE_APPLICATION,
        "report_application",
        Scope::Area("Reports"),
        &["A"],
        "Reports: choose the application the preview shows",
        Some("application"),
    ),
    spec(
        WRITE,
        "report_write",
        Scope::Area("Reports"),
        &["W"],
        "Reports: write the report to a file (.md Markdown, .html HTML)",
        Some("write file"),
    ),
];

/// How long the preview waits after an edit before it is read again.
const PREVIEW_DEBOUNCE: Duration = Duration::from_millis(400);
const PREVIEW_TIMER: &str = "report_preview";

#[derive(Debug, Clone, PartialEq)]
pub enum ReportsMsg {
    Read(Result<Versioned<ReportSettings>, ApiError>),
    Saved(Result<Versioned<ReportSettings>, ApiError>),
    Applications(Result<Page<Application>, ApiError>),
    Preview {
        token: u64,
        result: Result<ReportPreview, ApiError>,
    },
    Written {
        write: PendingWrite,
        result: Result<ExportReport, ApiError>,
    },
}

impl Document for ReportSettings {
    const TITLE: &'static str = "report settings";
    type Msg = ReportsMsg;
    fn read_msg(result: Result<Versioned<Self>, ApiError>) -> ReportsMsg {
        ReportsMsg::Read(result)
    }
    fn saved_msg(_sent: &Self, result: Result<Versioned<Self>, ApiError>) -> ReportsMsg {
        ReportsMsg::Saved(result)
    }
    /// The lists in the form's order (a document saved through the API may list them in another).
    fn canonical(&self) -> Self {
        ReportSettings {
            report_types: chosen(&ReportType::ALL, &checked(&ReportType::ALL, &self.report_types)),
            statuses: chosen(
                &VulnerabilityStatus::ALL,
                &checked(&VulnerabilityStatus::ALL, &self.statuses),
            ),
            severities: chosen(&Severity::ALL, &checked(&Severity::ALL, &self.severities)),
            ..self.clone()
        }
    }
}

/// A report to write: what, where, and as what.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingWrite {
    pub request: PreviewRequest,
    pub path: String,
    pub format: ReportFormat,
}

impl PendingWrite {
    fn call(&self, overwrite: bool) -> Call {
        let save = SaveTo {
            path: self.path.clone(),
            overwrite,
            csv: false,
        };
        let write = self.clone();
        Call::save_with_body::<Render, _>((), &self.request, save, move |result| ReportsMsg::Written {
            write: write.clone(),
            result,
        })
        .query(&PreviewQuery {
            format: Some(self.format),
        })
        .retryable(false)
        .label("writing the report")
    }
}

/// The format a file name asks for: `.html`/`.htm` HTML, anything else Markdown.
pub fn format_of_path(path: &str) -> ReportFormat {
    let lower = path.to_lowercase();
    if lower.ends_with(".html") || lower.ends_with(".htm") {
        ReportFormat::Html
    } else {
        ReportFormat::Markdown
    }
}

/// What a prompt over the tab is for.
pub enum Asking {
    Application(Prompt),
    Path(Prompt),
}

pub struct ReportsTab {
    pub state: DocState<ReportSettings>,
    pub form: Form<ReportSettings>,
    pub applications: Load<Vec<Application>>,
    /// The application the preview shows.
    pub application: Option<Application>,
    pub preview: Load<ReportPreview>,
    /// The preview's lines, and the first one shown.
    pub scroll: usize,
    pub asking: Option<Asking>,
    /// A write waiting for the overwrite question's answer.
    pub pending_write: Option<PendingWrite>,
    /// The newest preview asked for: older answers are dropped.
    token: u64,
}

impl Default for ReportsTab {
    fn default() -> Self {
        Self::new()
    }
}

fn checked<T: PartialEq + Copy>(all: &[T], chosen: &[T]) -> Vec<bool> {
    all.iter().map(|x| chosen.contains(x)).collect()
}

fn chosen<T: Copy>(all: &[T], checked: &[bool]) -> Vec<T> {
    all.iter()
        .zip(checked)
        .filter(|(_, on)| **on)
        .map(|(x, _)| *x)
        .collect()
}

/// The application `text` names: its name, or the one name that contains it (letter case aside).
pub fn application_named<'a>(apps: &'a [Application], text: &str) -> Result<&'a Application, String> {
    let t = text.trim().to_lowercase();
    if let Some(exact) = apps.iter().find(|a| a.name.to_lowercase() == t) {
        return Ok(exact);
    }
    let matching: Vec<&Application> = apps.iter().filter(|a| a.name.to_lowercase().contains(&t)).collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("no application has {text:?} in its name")),
        many => Err(format!(
            "{} applications match: {}",
            many.len(),
            many.iter()
                .take(4)
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

impl ReportsTab {
    pub fn new() -> Self {
        let form = Form::new(vec![
            FieldSpec::multi(
                TYPES,
                "Report types",
                ReportType::ALL.iter().map(|t| t.label().to_owned()).collect(),
            ),
            FieldSpec::multi(
                STATUSES,
                "Statuses",
                VulnerabilityStatus::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
            ),
            FieldSpec::multi(
                SEVERITIES,
                "Severities",
                Severity::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
            ),
            FieldSpec::toggle(NOTES, "Include notes"),
            FieldSpec::text(FOOTER, "Custom footer", Some(orgdeck_shared::reports::FOOTER_MAX)),
        ]);
        ReportsTab {
            state: DocState::new(),
            form,
            applications: Load::NotLoaded,
            application: None,
            preview: Load::NotLoaded,
            scroll: 0,
            asking: None,
            pending_write: None,
            token: 0,
        }
    }

    fn fill(&mut self, s: &ReportSettings) {
        self.form.set_multi(TYPES, checked(&ReportType::ALL, &s.report_types));
        self.form
            .set_multi(STATUSES, checked(&VulnerabilityStatus::ALL, &s.statuses));
        self.form.set_multi(SEVERITIES, checked(&Severity::ALL, &s.severities));
        self.form.set_bool(NOTES, s.include_notes);
        self.form.set_text(FOOTER, s.custom_footer.clone());
    }

    /// The settings as the form has them now.
    pub fn edited(&self) -> Option<ReportSettings> {
        self.state.base()?;
        Some(ReportSettings {
            report_types: chosen(&ReportType::ALL, &self.form.multi(TYPES)),
            statuses: chosen(&VulnerabilityStatus::ALL, &self.form.multi(STATUSES)),
            severities: chosen(&Severity::ALL, &self.form.multi(SEVERITIES)),
            include_notes: self.form.bool(NOTES),
            custom_footer: self.form.text(FOOTER),
        })
    }

    /// Checks the edits; when they pass, the preview follows them a moment later.
    fn revalidate(&mut self, changed: Option<&str>, fx: &mut Effects) {
        let edited = self.edited();
        let errors = self.state.errors(edited.as_ref(), changed);
        let ok = errors.is_empty();
        self.form.set_errors(errors);
        if ok && changed.is_some() {
            self.token += 1;
            fx.timer(PREVIEW_TIMER, PREVIEW_DEBOUNCE, self.token);
        }
    }

    fn refill(&mut self) {
        if let Some(base) = self.state.base().cloned() {
            self.fill(&base.value);
        }
        self.form.set_errors(Vec::new());
    }

    /// The request of the report of the chosen application under the edits (when they pass the checks).
    fn request(&self) -> Option<PreviewRequest> {
        let app = self.application.as_ref()?;
        let settings = self.edited().filter(|s| s.validate().is_ok());
        Some(PreviewRequest {
            application_id: app.id,
            settings,
        })
    }

    fn read_preview(&mut self, fx: &mut Effects) {
        let Some(request) = self.request() else { return };
        self.token += 1;
        let token = self.token;
        if self.preview.loaded().is_none() {
            self.preview = Load::Loading;
        }
        fx.call(
            Call::new::<Preview, _>((), &request, move |result| ReportsMsg::Preview { token, result })
                .label("rendering the report"),
        );
    }

    fn save(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        if self.form.is_editing() && self.form.commit_edit() == FormEvent::Ignored {
            return;
        }
        self.revalidate(None, fx);
        let Some(edited) = self.edited() else { return };
        let version = self.state.check_save(&edited, ctx.read_only, &self.form.labels(), fx);
        if let Some(version) = version {
            self.state.send(version, edited, fx);
        } else if let Some(first) = self.form.errors().keys().next().cloned() {
            self.form.focus_named(&first);
        }
    }

    fn read_applications(&mut self, fx: &mut Effects) {
        if self.applications.loaded().is_none() {
            self.applications = Load::Loading;
        }
        fx.call(Call::of::<ListApplications, _>((), ReportsMsg::Applications).label("loading applications"));
    }

    fn ask_application(&mut self, fx: &mut Effects) {
        let Some(apps) = self.applications.loaded() else {
            fx.toast(ToastLevel::Info, "The applications are still loading");
            return;
        };
        if apps.is_empty() {
            fx.toast(ToastLevel::Info, "No application yet: agents report them");
            return;
        }
        let current = self.application.as_ref().map(|a| a.name.clone()).unwrap_or_default();
        let prompt = Prompt::new(
            "Preview which application?",
            format!("Its name, or part of it ({} applications)", apps.len()),
        )
        .with_default(current)
        .with_submit("show", "type a name");
        self.asking = Some(Asking::Application(prompt));
    }

    fn ask_path(&mut self, fx: &mut Effects) {
        let Some(app) = &self.application else {
            fx.toast(ToastLevel::Info, "Choose an application first (A)");
            return;
        };
        if self.edited().is_some_and(|s| s.validate().is_err()) {
            fx.toast(
                ToastLevel::Error,
                "Fix the settings first: the report is written as they are edited",
            );
            return;
        }
        let stem: String = app
            .name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let prompt = Prompt::new(
            "Write the report",
            format!(
                "Where? {} under the settings as edited (.html: HTML, else Markdown)",
                app.name
            ),
        )
        .with_default(format!("./{stem}-report.md"))
        .with_submit("write", "type a path");
        self.asking = Some(Asking::Path(prompt));
    }

    fn prompt_key(&mut self, key: &KeyEvent, fx: &mut Effects) {
        match &mut self.asking {
            Some(Asking::Application(prompt)) => match prompt.handle_key(key) {
                PromptEvent::None => {}
                PromptEvent::Cancel => self.asking = None,
                PromptEvent::Submit(text) => {
                    let apps = self.applications.loaded().map_or(&[][..], Vec::as_slice);
                    match application_named(apps, &text) {
                        Err(why) => prompt.error = Some(why),
                        Ok(app) => {
                            self.application = Some(app.clone());
                            self.asking = None;
                            self.scroll = 0;
                            self.read_preview(fx);
                        }
                    }
                }
            },
            Some(Asking::Path(prompt)) => match prompt.handle_key(key) {
                PromptEvent::None => {}
                PromptEvent::Cancel => self.asking = None,
                PromptEvent::Submit(text) => {
                    let path = crate::api::absolute_path(text.trim());
                    let Some(request) = self.request() else { return };
                    let write = PendingWrite {
                        request,
                        format: format_of_path(&path),
                        path,
                    };
                    fx.call(write.call(false));
                    self.asking = None;
                }
            },
            None => {}
        }
    }

    fn merge_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> Option<bool> {
        match self.state.merge_action(action, fx) {
            MergeStep::NotOpen => None,
            MergeStep::Handled => Some(true),
            MergeStep::Ignored => Some(false),
            MergeStep::Apply(merged) => {
                self.fill(&merged);
                self.revalidate(None, fx);
                self.save(ctx, fx);
                Some(true)
            }
        }
    }

    /// The preview's text, a line each.
    pub fn preview_lines(&self) -> Vec<&str> {
        self.preview
            .loaded()
            .map_or_else(Vec::new, |p| p.content.lines().collect())
    }
}

impl Tab for ReportsTab {
    fn title(&self) -> &'static str {
        "Reports"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.state.load(fx);
        self.read_applications(fx);
    }

    fn captures_input(&self) -> bool {
        self.form.is_editing() || self.asking.is_some()
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        if self.asking.is_some() {
            self.prompt_key(key, fx);
            return;
        }
        match self.form.edit_key(key, ctx.keymap) {
            EditKey::Save => self.save(ctx, fx),
            EditKey::Edit(FormEvent::Changed(field)) => self.revalidate(Some(field), fx),
            EditKey::Edit(FormEvent::EditCancelled) => self.revalidate(None, fx),
            EditKey::Edit(_) => {}
        }
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        self.form.set_read_only(ctx.read_only);
        if let Some(taken) = self.merge_action(action, ctx, fx) {
            return taken;
        }
        let lines = self.preview_lines().len();
        match action {
            Action::Save => self.save(ctx, fx),
            CHOOSE_APPLICATION => self.ask_application(fx),
            WRITE => self.ask_path(fx),
            Action::Reload if self.is_dirty() && !self.state.stale => {
                fx.confirm = Some(Dialog::confirm(
                    Action::Reload,
                    "Reload?",
                    "Reloading drops your unsaved edits to the report settings.",
                    "reload",
                    "keep editing",
                ));
            }
            Action::Reload => {
                self.state.reload(fx);
                self.read_applications(fx);
                self.read_preview(fx);
            }
            Action::PageDown => self.scroll = (self.scroll + 10).min(lines.saturating_sub(1)),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Action::Bottom => self.scroll = lines.saturating_sub(1),
            Action::Top => self.scroll = 0,
            Action::Up | Action::Down | Action::Left | Action::Right | Action::Activate => {
                if self.state.base().is_none() {
                    return false;
                }
                match self.form.handle_action(action) {
                    FormEvent::Changed(field) => self.revalidate(Some(field), fx),
                    FormEvent::Ignored => return false,
                    _ => {}
                }
            }
            _ => return false,
        }
        true
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        match action {
            Action::Reload => {
                self.state.reload(fx);
                self.read_preview(fx);
            }
            WRITE => {
                if let Some(write) = self.pending_write.take() {
                    fx.call(write.call(true));
                }
            }
            _ => {}
        }
    }

    fn timer(&mut self, name: &'static str, token: u64, _ctx: &TabCtx, fx: &mut Effects) {
        if name == PREVIEW_TIMER && token == self.token {
            self.read_preview(fx);
        }
    }

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<ReportsMsg>(msg) else { return };
        match msg {
            ReportsMsg::Read(result) => {
                let edited = self.edited();
                let arrival = self
                    .state
                    .arrived(result.as_ref(), edited.as_ref(), &self.form.labels(), fx);
                if arrival == Arrival::Refill {
                    self.refill();
                    self.read_preview(fx);
                }
            }
            ReportsMsg::Saved(result) => match self.state.saved(result.as_ref(), fx) {
                Ok(Arrival::Refill) => self.refill(),
                Ok(Arrival::Keep) => {}
                Err(e) if e.code == ErrorCode::ValidationFailed => {
                    self.state.rejected(e, fx);
                    self.revalidate(None, fx);
                }
                Err(e) => fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message)),
            },
            ReportsMsg::Applications(result) => match result {
                Ok(page) => {
                    // The one shown stays (as it is now); the first is shown when none was.
                    let keep = self
                        .application
                        .as_ref()
                        .and_then(|a| page.items.iter().find(|x| x.id == a.id).cloned());
                    let first = self.application.is_none();
                    self.application = keep.or_else(|| page.items.first().cloned());
                    self.applications = Load::Loaded(page.items);
                    if first {
                        self.read_preview(fx);
                    }
                }
                Err(e) if needs_login(&e) => {}
                Err(e) => self.applications = Load::Failed(e),
            },
            ReportsMsg::Preview { token, result } => {
                if token != self.token {
                    return;
                }
                match result {
                    Ok(p) => self.preview = Load::Loaded(p),
                    Err(e) if needs_login(&e) => {}
                    Err(e) if self.preview.loaded().is_some() => {
                        fx.toast(ToastLevel::Error, format!("The preview did not render: {}", e.message))
                    }
                    Err(e) => self.preview = Load::Failed(e),
                }
            }
            ReportsMsg::Written { write, result } => match result {
                Ok(r) => fx.toast(
                    ToastLevel::Info,
                    format!("Wrote the report ({} bytes) to {}", r.bytes, write.path),
                ),
                Err(e) if e.code == ErrorCode::Conflict => {
                    let path = write.path.clone();
                    self.pending_write = Some(write);
                    fx.confirm = Some(Dialog::confirm(
                        WRITE,
                        "Overwrite?",
                        format!("{path} already exists. Replace it with this report?"),
                        "overwrite",
                        "keep it",
                    ));
                }
                Err(e) if needs_login(&e) => {}
                Err(e) => fx.toast(ToastLevel::Error, format!("Not written: {}", e.message)),
            },
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, ctx: &TabCtx, fx: &mut Effects) {
        let edited = self.edited();
        self.state.changed(change, edited.as_ref(), ctx.dates, fx);
        // A new vulnerability or note of the application shown.
        if change.area == "application" && self.application.as_ref().is_some_and(|a| a.id.to_string() == change.id) {
            self.read_preview(fx);
        }
    }

    fn is_dirty(&self) -> bool {
        self.state.is_dirty(self.edited().as_ref())
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.asking.is_some() {
            return vec![(Action::Activate, "ok"), (Action::Cancel, "cancel")];
        }
        if self.state.merge.is_some() {
            let mut hints = Merge::hints();
            hints.push((Action::Help, "help"));
            return hints;
        }
        if self.form.is_editing() {
            return vec![
                (Action::Activate, "done"),
                (Action::Cancel, "cancel"),
                (Action::Save, "save"),
            ];
        }
        vec![
            (Action::Activate, "edit/toggle"),
            (Action::Left, "choose"),
            (Action::Save, "save"),
            (CHOOSE_APPLICATION, "application"),
            (WRITE, "write file"),
            (Action::PageDown, "scroll"),
            (Action::Help, "help"),
        ]
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        if let Some(merge) = &self.state.merge {
            merge.render(frame, area, theme);
            return;
        }
        let form_rows = 2 + self.form.height(area.width.saturating_sub(2)) + u16::from(self.state.banner().is_some());
        let [form_area, preview_area] =
            Layout::vertical([Constraint::Length(form_rows.min(area.height / 2)), Constraint::Min(3)]).areas(area);
        super::doc::render_form_box(
            &self.state,
            &self.form,
            "Report settings",
            self.is_dirty(),
            frame,
            form_area,
            theme,
        );
        self.render_preview(frame, preview_area, ctx);
        match &self.asking {
            Some(Asking::Application(p)) | Some(Asking::Path(p)) => p.render(frame, area, theme),
            None => {}
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

impl ReportsTab {
    fn render_preview(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        let app = self
            .application
            .as_ref()
            .map_or("(no application)", |a| a.name.as_str());
        let title = match &self.preview {
            Load::Loaded(p) => format!(" Preview: {app}, {} of {} listed (A other) ", p.listed, p.total),
            _ => format!(" Preview: {app} "),
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(title, theme.title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let text = match (&self.preview, &self.applications) {
            (_, Load::Loaded(apps)) if apps.is_empty() => {
                Paragraph::new(Span::styled("No application yet: agents report them.", theme.muted))
            }
            (Load::Loaded(_), _) => {
                let lines: Vec<Line> = self
                    .preview_lines()
                    .into_iter()
                    .skip(self.scroll)
                    .take(inner.height as usize)
                    .map(|l| Line::styled(l.to_owned(), theme.base))
                    .collect();
                // Long lines wrap (a table row reads on, cut only by the pane's height).
                Paragraph::new(lines).wrap(Wrap { trim: false })
            }
            (Load::Failed(e), _) => Paragraph::new(Span::styled(
                format!("The preview did not render: {}", e.message),
                theme.error,
            ))
            .wrap(Wrap { trim: true }),
            _ => Paragraph::new(Span::styled("Rendering…", theme.muted)),
        };
        frame.render_widget(text, inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_gives_back_what_it_was_filled_with() {
        let mut tab = ReportsTab::new();
        let s = ReportSettings {
            report_types: vec![ReportType::PciDss4, ReportType::Nist80053],
            statuses: vec![VulnerabilityStatus::Fixed],
            severities: vec![Severity::Critical, Severity::Note],
            include_notes: true,
            custom_footer: "Internal".into(),
        };
        tab.state.doc = Load::Loaded(Versioned {
            version: 1,
            value: ReportSettings::default(),
        });
        tab.fill(&s);
        assert_eq!(tab.edited(), Some(s.clone()));
        tab.form.assert_names_fields_of(&s);
    }

    #[test]
    fn the_file_name_says_the_format() {
        assert_eq!(format_of_path("/tmp/a.HTML"), ReportFormat::Html);
        assert_eq!(format_of_path("./a-report.md"), ReportFormat::Markdown);
        assert_eq!(format_of_path("report.txt"), ReportFormat::Markdown);
    }
}
