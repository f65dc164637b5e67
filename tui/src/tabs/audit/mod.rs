//! The Audit tab: the organization's audit log on the windowed table, newest first, searched by keyword
//! (`/`) and date range (`D`), an entry's field changes on Enter, and the current search exported to a
//! file (`x`), streamed by the runner.

mod view;

use crossterm::event::KeyEvent;
use jiff::{Timestamp, civil::Date};
use orgdeck_shared::{
    ApiError, ErrorCode, Page,
    audit::{
        AuditEntry, AuditExportFormat, AuditExportQuery, AuditQuery,
        endpoints::{Export, Search},
    },
    format::DateTimeStyle,
};
use ratatui::{Frame, layout::Rect};

use super::{Effects, Tab, TabCtx, own};
use crate::{
    api::{Call, ExportReport, OwnerMsg, PageTag, SaveTo, export_format_of_path, needs_login},
    keymap::{Action, ActionSpec, Scope, TabAction, spec},
    widgets::{
        Column, Dialog, PageRequest, Prompt, Report, SearchEvent, Table, TableRow, ToastLevel,
        overlay::{PromptEvent, ReportEvent},
    },
};

/// The actions this area adds to the keymap (the help lists them under its title).
pub const DATE_RANGE: Action = Action::Tab(TabAction("date_range"));
pub const EXPORT: Action = Action::Tab(TabAction("export"));

/// The rows of this area's actions: default keys, help text, footer hint.
pub const KEYS: &[ActionSpec] = &[
    spec(
        DATE_RANGE,
        "date_range",
        Scope::Area("Audit"),
        &["D"],
        "set the date range (audit log)",
        Some("dates"),
    ),
    spec(
        EXPORT,
        "export",
        Scope::Area("Audit"),
        &["x"],
        "export the current search to a file (audit log)",
        Some("export"),
    ),
];

/// The answers of the tab's calls.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditMsg {
    Page {
        tag: PageTag,
        result: Result<Page<AuditEntry>, ApiError>,
    },
    Exported {
        export: PendingExport,
        result: Result<ExportReport, ApiError>,
    },
}

/// An export asked for: what to export, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingExport {
    pub query: AuditExportQuery,
    pub path: String,
}

impl PendingExport {
    fn call(&self, overwrite: bool) -> Call {
        let save = SaveTo {
            path: self.path.clone(),
            overwrite,
            csv: self.query.format == AuditExportFormat::Csv,
        };
        let export = self.clone();
        Call::save_to::<Export, _>((), save, move |result| AuditMsg::Exported {
            export: export.clone(),
            result,
        })
        .query(&self.query)
        .label("exporting the audit log")
    }
}

const SEARCH_TIMER: &str = "audit_search";
const SEARCH_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(250);

impl TableRow for AuditEntry {
    type Id = uuid::Uuid;
    fn id(&self) -> uuid::Uuid {
        self.id
    }
    fn label(&self) -> String {
        self.summary.clone()
    }
}

pub enum Mode {
    Browse,
    Detail(Report),
    Dates(Prompt),
    Export(Prompt),
}

pub struct AuditTab {
    pub table: Table<AuditEntry>,
    pub mode: Mode,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// The export waiting for an overwrite confirmation.
    pub pending_export: Option<PendingExport>,
    /// The user is an organization admin (the log is theirs only); until `GET me` says, yes.
    pub admin: bool,
}

impl Default for AuditTab {
    fn default() -> Self {
        Self::new()
    }
}

/// "dd.MM.yyyy or yyyy-MM-dd" (just the ISO pattern when that is the org's).
fn date_patterns(dates: &DateTimeStyle) -> String {
    match dates.date {
        orgdeck_shared::general::DateFormat::Iso => "yyyy-MM-dd".into(),
        other => format!("{} or yyyy-MM-dd", other.as_str()),
    }
}

/// The file an export is offered to go to: `orgdeck-audit-acme-security-2026-11-28.csv`, the organization's
/// name (letters and digits, the rest as `-`) and the day.
pub fn export_file_name(org_name: &str, day: Date) -> String {
    let mut org = String::new();
    for c in org_name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            org.push(c);
        } else if !org.is_empty() && !org.ends_with('-') {
            org.push('-');
        }
    }
    let org = org.trim_end_matches('-');
    let org = if org.is_empty() { "org" } else { org };
    format!("orgdeck-audit-{org}-{day}.csv")
}

/// A day typed in the org's date format or ISO (`2026-11-28`).
pub fn parse_day(text: &str, dates: &DateTimeStyle) -> Result<Date, String> {
    let text = text.trim();
    Date::strptime(dates.date.strftime(), text)
        .or_else(|_| text.parse::<Date>())
        .map_err(|_| format!("{text:?} is not a date: write {}", date_patterns(dates)))
}

/// `FROM [TO]` (either may be `-`): from the start of FROM to the end of TO, in the org's zone.
pub fn parse_range(text: &str, dates: &DateTimeStyle) -> Result<(Option<Timestamp>, Option<Timestamp>), String> {
    let parts: Vec<&str> = text.split_whitespace().filter(|p| *p != "to" && *p != "..").collect();
    if parts.len() > 2 {
        return Err("write one or two dates: FROM [TO]".into());
    }
    let start = |d: Date| {
        d.to_zoned_datetime(dates.tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string())
    };
    let from = match parts.first() {
        None | Some(&"-") => None,
        Some(p) => Some(start(parse_day(p, dates)?)?),
    };
    let to = match parts.get(1) {
        None | Some(&"-") => None,
        Some(p) => {
            let day = parse_day(p, dates)?;
            Some(start(day.tomorrow().map_err(|e| e.to_string())?)?)
        }
    };
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err("the end date is before the start date".into());
    }
    Ok((from, to))
}

impl AuditTab {
    pub fn new() -> Self {
        AuditTab {
            table: Table::new(
                vec![
                    Column::fixed("Time", 16),
                    Column::flex("Actor", 12),
                    Column::fixed("Action", 18),
                    Column::flex("Target", 10).priority(2),
                    Column::fixed("IP", 15).priority(1),
                    Column::flex("Summary", 20),
                ],
                50,
            )
            .with_noun("entries"),
            mode: Mode::Browse,
            from: None,
            to: None,
            pending_export: None,
            admin: true,
        }
    }

    /// The search as the server takes it (no cursor, no limit).
    pub fn query(&self) -> AuditQuery {
        AuditQuery {
            q: (!self.table.query.q.is_empty()).then(|| self.table.query.q.clone()),
            from: self.from,
            to: self.to,
            cursor: None,
            limit: None,
        }
    }

    fn page_request(&self, p: &PageRequest) -> Call {
        let tag = PageTag {
            generation: p.generation,
            page: p.page,
        };
        let query = AuditQuery {
            q: (!p.query.q.is_empty()).then(|| p.query.q.clone()),
            cursor: p.cursor.clone(),
            limit: Some(p.limit),
            ..self.query()
        };
        Call::of::<Search, _>((), move |result| AuditMsg::Page {
            tag: tag.clone(),
            result,
        })
        .query(&query)
        .label("searching the audit log")
    }

    fn with_table<T>(
        &mut self,
        fx: &mut Effects,
        f: impl FnOnce(&mut Table<AuditEntry>, &mut Vec<PageRequest>) -> T,
    ) -> T {
        let mut out = Vec::new();
        let r = f(&mut self.table, &mut out);
        for p in &out {
            fx.call(self.page_request(p));
        }
        r
    }

    fn detail(entry: &AuditEntry, dates: &DateTimeStyle) -> Report {
        let mut lines = vec![
            format!("When    {}", dates.datetime(entry.at)),
            format!("Actor   {}", entry.actor),
            format!("Action  {}", entry.action),
            format!("Target  {}", entry.target),
            format!("IP      {}", entry.ip.as_deref().unwrap_or("-")),
            format!("Summary {}", entry.summary),
            String::new(),
        ];
        if entry.changes.is_empty() {
            lines.push("No field changes.".into());
        } else {
            lines.push("Changes (old → new)".into());
            for c in &entry.changes {
                lines.push(format!("  {}: {} → {}", c.field, show(&c.old), show(&c.new)));
            }
        }
        Report::new("Audit entry", lines)
    }

    /// Exports to `path` as typed, named in full from here on (the overwrite question, the message).
    fn export(&mut self, path: &str, fx: &mut Effects) {
        let path = crate::api::absolute_path(path);
        let q = self.query();
        let export = PendingExport {
            query: AuditExportQuery {
                q: q.q,
                from: q.from,
                to: q.to,
                format: export_format_of_path(&path),
            },
            path,
        };
        fx.call(export.call(false));
    }
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(none)".into(),
        other => other.to_string(),
    }
}

impl Tab for AuditTab {
    fn title(&self) -> &'static str {
        "Audit"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.with_table(fx, |t, out| t.reload(out));
    }

    fn captures_input(&self) -> bool {
        self.table.is_searching() || !matches!(self.mode, Mode::Browse)
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        if self.table.is_searching() {
            match self.table.search_key(key) {
                SearchEvent::Changed(token) => fx.timer(SEARCH_TIMER, SEARCH_DEBOUNCE, token),
                SearchEvent::Done => {
                    let text = self.table.search_text().to_owned();
                    self.with_table(fx, |t, out| t.apply_search(text, out));
                }
                SearchEvent::Cleared => {
                    self.with_table(fx, |t, out| t.apply_search(String::new(), out));
                }
                SearchEvent::Ignored => {}
            }
            return;
        }
        match &mut self.mode {
            Mode::Browse => {}
            Mode::Detail(report) => {
                for action in ctx.keymap.actions_for(key) {
                    match report.handle(action) {
                        ReportEvent::None => continue,
                        ReportEvent::Close => self.mode = Mode::Browse,
                        ReportEvent::Copy(_) => {}
                    }
                    break;
                }
            }
            Mode::Dates(prompt) => match prompt.handle_key(key) {
                PromptEvent::Submit(text) => match parse_range(&text, ctx.dates) {
                    Ok((from, to)) => {
                        self.from = from;
                        self.to = to;
                        self.mode = Mode::Browse;
                        self.with_table(fx, |t, out| t.reload(out));
                    }
                    Err(e) => prompt.error = Some(e),
                },
                PromptEvent::Cancel => self.mode = Mode::Browse,
                PromptEvent::None => {}
            },
            Mode::Export(prompt) => match prompt.handle_key(key) {
                PromptEvent::Submit(path) => {
                    self.mode = Mode::Browse;
                    self.export(&path, fx);
                }
                PromptEvent::Cancel => self.mode = Mode::Browse,
                PromptEvent::None => {}
            },
        }
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        if !matches!(self.mode, Mode::Browse) {
            return false;
        }
        match action {
            Action::Search => self.table.start_search(),
            Action::Detail => {
                let Some(entry) = self.table.current() else {
                    return false;
                };
                self.mode = Mode::Detail(Self::detail(entry, ctx.dates));
            }
            DATE_RANGE => {
                let label = format!("From and to ({}; - for open)", date_patterns(ctx.dates));
                let prompt =
                    Prompt::new("Date range", label).with_submit("search", "type a date, or - - for all dates");
                self.mode = Mode::Dates(prompt);
            }
            EXPORT => {
                let today = ctx.dates.tz.to_datetime(Timestamp::now()).date();
                let label = format!(
                    "File (.csv, or .jsonl for JSON lines). A name alone goes in\n  {}\nEnter takes this one; typing replaces it, ← → edit it:",
                    crate::api::launch_dir()
                );
                self.mode = Mode::Export(
                    Prompt::new("Export the current search", label)
                        .with_submit("export", "type a path first")
                        .with_default(export_file_name(ctx.org_name, today)),
                );
            }
            Action::Reload => self.with_table(fx, |t, out| t.reload(out)),
            Action::Cancel if !self.table.query.q.is_empty() || self.from.is_some() || self.to.is_some() => {
                self.from = None;
                self.to = None;
                if self.table.query.q.is_empty() {
                    self.with_table(fx, |t, out| t.reload(out));
                } else {
                    self.with_table(fx, |t, out| t.apply_search(String::new(), out));
                }
            }
            _ => return self.with_table(fx, |t, out| t.handle_action(action, out)),
        }
        true
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        if action == EXPORT
            && let Some(export) = self.pending_export.take()
        {
            fx.call(export.call(true));
        }
    }

    fn timer(&mut self, name: &'static str, token: u64, _ctx: &TabCtx, fx: &mut Effects) {
        if name == SEARCH_TIMER {
            self.with_table(fx, |t, out| t.search_timer(token, out));
        }
    }

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<AuditMsg>(msg) else { return };
        match msg {
            AuditMsg::Page { tag, result } => {
                if let Err(e) = &result
                    && needs_login(e)
                {
                    return;
                }
                let result = result.map_err(|e| e.message);
                self.with_table(fx, |t, out| t.page_arrived_at(tag.generation, tag.page, result, out));
            }
            AuditMsg::Exported { export, result } => match result {
                Ok(r) => fx.toast(
                    ToastLevel::Info,
                    format!(
                        "Exported {} row{} ({} bytes) to {}",
                        r.rows,
                        if r.rows == 1 { "" } else { "s" },
                        r.bytes,
                        export.path
                    ),
                ),
                Err(e) if e.code == ErrorCode::Conflict => {
                    let path = export.path.clone();
                    self.pending_export = Some(export);
                    fx.confirm = Some(Dialog::confirm(
                        EXPORT,
                        "Overwrite?",
                        format!("{path} already exists. Replace it with this export?"),
                        "overwrite",
                        "keep it",
                    ));
                }
                Err(e) if needs_login(&e) => {}
                Err(e) => fx.toast(ToastLevel::Error, format!("Export failed: {}", e.message)),
            },
        }
    }

    fn me_changed(&mut self, me: &orgdeck_shared::auth::Me, _fx: &mut Effects) {
        self.admin = me.role == orgdeck_shared::auth::OrgRole::Admin;
    }

    /// The log shows a change as it happens, while the view is the newest entries unfiltered (scrolled
    /// down, searching or within dates, it stays put; `r` brings the news).
    fn changed(&mut self, _change: &orgdeck_shared::events::ChangeEvent, _ctx: &TabCtx, fx: &mut Effects) {
        if matches!(self.mode, Mode::Browse)
            && self.table.cursor() == 0
            && !self.table.is_searching()
            && self.table.query.q.is_empty()
            && self.from.is_none()
            && self.to.is_none()
        {
            self.with_table(fx, |t, out| t.reload(out));
        }
    }

    fn is_dirty(&self) -> bool {
        false
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        match self.mode {
            Mode::Browse if self.table.is_searching() => vec![(Action::Activate, "done"), (Action::Cancel, "clear")],
            // Only what can be done now (the help lists every key): nothing but help for someone who is
            // not an admin (the server refuses them the log); details on an entry, export with entries.
            Mode::Browse if !self.admin => vec![(Action::Help, "help"), (Action::Quit, "quit")],
            Mode::Browse => {
                let mut hints = vec![(Action::Search, "search"), (DATE_RANGE, "dates")];
                if self.table.current().is_some() {
                    hints.extend([(Action::Detail, "details"), (EXPORT, "export")]);
                }
                hints.extend([
                    (Action::Reload, "reload"),
                    (Action::Help, "help"),
                    (Action::Quit, "quit"),
                ]);
                hints
            }
            Mode::Detail(_) => vec![(Action::Cancel, "close")],
            Mode::Dates(_) | Mode::Export(_) => vec![(Action::Activate, "ok"), (Action::Cancel, "cancel")],
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        view::render(self, frame, area, ctx);
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
