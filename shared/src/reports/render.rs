//! A report of one application under report settings (saved or being edited), as Markdown or HTML: a
//! header, a summary by severity, the vulnerabilities of the chosen statuses and severities with the
//! categories of each chosen framework, their notes when included, and the custom footer.
//!
//! Pure: the server renders `POST reports/preview` with it, and tests check it without a server. Every
//! value that came from an agent is escaped for the format (a title can hold `|`, `<script>` or a line
//! break).

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ReportSettings, ReportType};
use crate::{
    format::DateTimeStyle,
    inventory::Application,
    vulnerabilities::{Severity, Vulnerability},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    #[default]
    Markdown,
    Html,
}

impl ReportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "md",
            ReportFormat::Html => "html",
        }
    }
}

/// A note on a vulnerability (a comment its agent reported).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Note {
    pub author: String,
    pub text: String,
    #[schemars(with = "crate::schema::Timestamp")]
    pub at: Timestamp,
}

/// A vulnerability with its notes, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub vulnerability: Vulnerability,
    pub notes: Vec<Note>,
}

/// What a report is made of.
pub struct ReportInput<'a> {
    pub organization: &'a str,
    pub application: &'a Application,
    /// Every vulnerability of the application (the settings choose which are listed).
    pub findings: &'a [Finding],
    pub generated_at: Timestamp,
    pub dates: &'a DateTimeStyle,
}

/// The category a rule's findings fall under in a framework (`None`: the framework has none for it).
pub fn category(rule: &str, framework: ReportType) -> Option<&'static str> {
    let rule = rule.trim().to_ascii_lowercase();
    let family = if rule.starts_with("sql-injection") || rule.starts_with("sqli") || rule.starts_with("nosql-injection")
    {
        "sql"
    } else if rule.starts_with("xss") || rule.starts_with("reflected-xss") || rule.starts_with("stored-xss") {
        "xss"
    } else if rule.starts_with("cmd-injection") || rule.starts_with("command-injection") {
        "cmd"
    } else if rule.starts_with("path-traversal") {
        "path"
    } else if rule.starts_with("ssrf") {
        "ssrf"
    } else if rule.starts_with("csrf") {
        "csrf"
    } else if rule.starts_with("crypto") || rule.starts_with("weak-hash") || rule.starts_with("weak-cipher") {
        "crypto"
    } else if rule.starts_with("hardcoded") || rule.starts_with("session") || rule.starts_with("auth") {
        "auth"
    } else if rule.starts_with("untrusted-deserialization") || rule.starts_with("deserialization") {
        "deser"
    } else if rule.starts_with("xxe") {
        "xxe"
    } else {
        return None;
    };
    use ReportType::*;
    Some(match (framework, family) {
        (OwaspTop102021, "sql" | "xss" | "cmd") => "A03:2021 Injection",
        (OwaspTop102021, "path" | "csrf") => "A01:2021 Broken Access Control",
        (OwaspTop102021, "ssrf") => "A10:2021 Server-Side Request Forgery",
        (OwaspTop102021, "crypto") => "A02:2021 Cryptographic Failures",
        (OwaspTop102021, "auth") => "A07:2021 Identification and Authentication Failures",
        (OwaspTop102021, "deser") => "A08:2021 Software and Data Integrity Failures",
        (OwaspTop102021, "xxe") => "A05:2021 Security Misconfiguration",
        (PciDss4, "crypto") => "4.2.1 Strong cryptography",
        (PciDss4, "auth") => "8.3 Strong authentication",
        (PciDss4, _) => "6.2.4 Software engineering techniques prevent attacks",
        (DisaStig, "sql") => "APSC-DV-002540 SQL injection",
        (DisaStig, "xss") => "APSC-DV-002490 Cross-site scripting",
        (DisaStig, "cmd") => "APSC-DV-002510 Command injection",
        (DisaStig, "csrf") => "APSC-DV-002500 Cross-site request forgery",
        (DisaStig, _) => return None,
        (Nist80053, "sql" | "xss" | "cmd" | "deser" | "xxe") => "SI-10 Information Input Validation",
        (Nist80053, "path" | "csrf") => "AC-3 Access Enforcement",
        (Nist80053, "ssrf") => "SC-7 Boundary Protection",
        (Nist80053, "crypto") => "SC-13 Cryptographic Protection",
        (Nist80053, "auth") => "IA-5 Authenticator Management",
        _ => return None,
    })
}

/// The findings the settings list, most severe first, then oldest first.
pub fn listed<'a>(settings: &ReportSettings, findings: &'a [Finding]) -> Vec<&'a Finding> {
    let mut out: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            settings.statuses.contains(&f.vulnerability.status)
                && settings.severities.contains(&f.vulnerability.severity)
        })
        .collect();
    out.sort_by(|a, b| {
        (a.vulnerability.severity, a.vulnerability.found_at, a.vulnerability.id).cmp(&(
            b.vulnerability.severity,
            b.vulnerability.found_at,
            b.vulnerability.id,
        ))
    });
    out
}

/// Text from an agent, on one line, safe in a Markdown table cell.
fn md(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut out = String::with_capacity(flat.len());
    for c in flat.trim().chars() {
        if matches!(c, '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn list<T>(items: &[T], name: impl Fn(&T) -> &'static str) -> String {
    items.iter().map(name).collect::<Vec<_>>().join(", ")
}

/// Renders the report.
pub fn render(settings: &ReportSettings, input: &ReportInput, format: ReportFormat) -> String {
    let rows = listed(settings, input.findings);
    let app = input.application;
    let title = format!("Security report: {}", app.name);
    let about = format!(
        "{} · {} · {} · generated {}",
        input.organization,
        app.language,
        app.environment,
        input.dates.datetime(input.generated_at)
    );
    let types = list(&settings.report_types, |t| t.label());
    let scope = format!(
        "Statuses: {}. Severities: {}. {} of {} vulnerabilities listed.",
        list(&settings.statuses, |s| s.as_str()),
        list(&settings.severities, |s| s.as_str()),
        rows.len(),
        input.findings.len()
    );
    let counts: Vec<(Severity, usize)> = Severity::ALL
        .into_iter()
        .filter(|s| settings.severities.contains(s))
        .map(|s| (s, rows.iter().filter(|f| f.vulnerability.severity == s).count()))
        .collect();
    let with_notes: Vec<(usize, &&Finding)> = rows
        .iter()
        .enumerate()
        .filter(|(_, f)| settings.include_notes && !f.notes.is_empty())
        .collect();
    let footer = settings.custom_footer.trim();
    match format {
        ReportFormat::Markdown => {
            let mut out = String::new();
            out.push_str(&format!(
                "# {}\n\n{}\n\nReport types: {types}\n\n{scope}\n\n",
                md(&title),
                md(&about)
            ));
            out.push_str("## Summary\n\n| Severity | Count |\n|---|---:|\n");
            for (s, n) in &counts {
                out.push_str(&format!("| {s} | {n} |\n"));
            }
            out.push_str("\n## Vulnerabilities\n\n");
            if rows.is_empty() {
                out.push_str("None of the chosen statuses and severities.\n");
            } else {
                out.push_str("| # | Severity | Status | Title | Rule | Route | Found |");
                for t in &settings.report_types {
                    out.push_str(&format!(" {} |", t.label()));
                }
                out.push_str("\n|---:|---|---|---|---|---|---|");
                out.push_str(&"---|".repeat(settings.report_types.len()));
                out.push('\n');
                for (i, f) in rows.iter().enumerate() {
                    let v = &f.vulnerability;
                    out.push_str(&format!(
                        "| {} | {} | {} | {} | {} | {} | {} |",
                        i + 1,
                        v.severity,
                        v.status.as_str(),
                        md(&v.title),
                        md(&v.rule),
                        md(v.route.as_deref().unwrap_or("—")),
                        input.dates.day(v.found_at)
                    ));
                    for t in &settings.report_types {
                        out.push_str(&format!(" {} |", category(&v.rule, *t).unwrap_or("—")));
                    }
                    out.push('\n');
                }
            }
            if !with_notes.is_empty() {
                out.push_str("\n## Notes\n");
                for (i, f) in with_notes {
                    out.push_str(&format!("\n### {}. {}\n\n", i + 1, md(&f.vulnerability.title)));
                    for n in &f.notes {
                        out.push_str(&format!(
                            "- {} ({}): {}\n",
                            md(&n.author),
                            input.dates.datetime(n.at),
                            md(&n.text)
                        ));
                    }
                }
            }
            if !footer.is_empty() {
                out.push_str("\n---\n\n");
                for line in footer.lines() {
                    out.push_str(&md(line));
                    out.push_str("  \n");
                }
            }
            out
        }
        ReportFormat::Html => {
            let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
            out.push_str(&format!("<title>{}</title>\n</head>\n<body>\n", html(&title)));
            out.push_str(&format!(
                "<h1>{}</h1>\n<p>{}</p>\n<p>Report types: {}</p>\n<p>{}</p>\n",
                html(&title),
                html(&about),
                html(&types),
                html(&scope)
            ));
            out.push_str("<h2>Summary</h2>\n<table>\n<tr><th>Severity</th><th>Count</th></tr>\n");
            for (s, n) in &counts {
                out.push_str(&format!("<tr><td>{s}</td><td>{n}</td></tr>\n"));
            }
            out.push_str("</table>\n<h2>Vulnerabilities</h2>\n");
            if rows.is_empty() {
                out.push_str("<p>None of the chosen statuses and severities.</p>\n");
            } else {
                out.push_str("<table>\n<tr><th>#</th><th>Severity</th><th>Status</th><th>Title</th><th>Rule</th><th>Route</th><th>Found</th>");
                for t in &settings.report_types {
                    out.push_str(&format!("<th>{}</th>", html(t.label())));
                }
                out.push_str("</tr>\n");
                for (i, f) in rows.iter().enumerate() {
                    let v = &f.vulnerability;
                    out.push_str(&format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                        i + 1,
                        v.severity,
                        v.status.as_str(),
                        html(&v.title),
                        html(&v.rule),
                        html(v.route.as_deref().unwrap_or("—")),
                        html(&input.dates.day(v.found_at))
                    ));
                    for t in &settings.report_types {
                        out.push_str(&format!("<td>{}</td>", html(category(&v.rule, *t).unwrap_or("—"))));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
            if !with_notes.is_empty() {
                out.push_str("<h2>Notes</h2>\n");
                for (i, f) in with_notes {
                    out.push_str(&format!("<h3>{}. {}</h3>\n<ul>\n", i + 1, html(&f.vulnerability.title)));
                    for n in &f.notes {
                        out.push_str(&format!(
                            "<li>{} ({}): {}</li>\n",
                            html(&n.author),
                            html(&input.dates.datetime(n.at)),
                            html(&n.text)
                        ));
                    }
                    out.push_str("</ul>\n");
                }
            }
            if !footer.is_empty() {
                out.push_str(&format!(
                    "<hr>\n<footer>{}</footer>\n",
                    html(footer).replace('\n', "<br>\n")
                ));
            }
            out.push_str("</body>\n</html>\n");
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{general::Environment, vulnerabilities::VulnerabilityStatus};
    use uuid::Uuid;

    fn vuln(title: &str, severity: Severity, status: VulnerabilityStatus, rule: &str, day: u32) -> Finding {
        Finding {
            vulnerability: Vulnerability {
                id: Uuid::new_v4(),
                application_id: Uuid::nil(),
                title: title.into(),
                severity,
                rule: rule.into(),
                route: Some("POST /login".into()),
                description: None,
                status,
                event_id: format!("e{day}"),
                found_at: format!("2026-11-{day:02}T10:00:00Z").parse().unwrap(),
                issues: Vec::new(),
            },
            notes: vec![Note {
                author: "Ana".into(),
                text: format!("looked at {title}"),
                at: "2026-11-30T09:00:00Z".parse().unwrap(),
            }],
        }
    }

    fn app() -> Application {
        Application {
            id: Uuid::nil(),
            name: "payments-api".into(),
            language: "java".into(),
            environment: Environment::Production,
            licensed: true,
            open_vulnerabilities: Default::default(),
            score: None,
        }
    }

    fn findings() -> Vec<Finding> {
        use VulnerabilityStatus::*;
        vec![
            vuln("Low one", Severity::Low, Reported, "cookie-flags", 1),
            vuln("SQL | injection <b>", Severity::Critical, Confirmed, "sql-injection", 2),
            vuln("Fixed XSS", Severity::High, Fixed, "xss-reflected", 3),
            vuln("A note", Severity::Note, Reported, "info", 4),
            vuln("Path", Severity::High, Suspicious, "path-traversal", 5),
        ]
    }

    fn input<'a>(app: &'a Application, findings: &'a [Finding], dates: &'a DateTimeStyle) -> ReportInput<'a> {
        ReportInput {
            organization: "Northwind",
            application: app,
            findings,
            generated_at: "2026-12-01T12:00:00Z".parse().unwrap(),
            dates,
        }
    }

    #[test]
    fn lists_only_the_chosen_statuses_and_severities_most_severe_first() {
        let f = findings();
        let titles = |s: &ReportSettings| -> Vec<String> {
            listed(s, &f).iter().map(|f| f.vulnerability.title.clone()).collect()
        };
        assert_eq!(
            titles(&ReportSettings::default()),
            ["SQL | injection <b>", "Path", "Low one"]
        );
        let fixed_only = ReportSettings {
            statuses: vec![VulnerabilityStatus::Fixed],
            ..ReportSettings::default()
        };
        assert_eq!(titles(&fixed_only), ["Fixed XSS"]);
        let with_notes = ReportSettings {
            severities: vec![Severity::Note],
            ..ReportSettings::default()
        };
        assert_eq!(titles(&with_notes), ["A note"]);
    }

    #[test]
    fn markdown_has_the_header_table_categories_notes_and_footer_escaped() {
        let (a, f, dates) = (app(), findings(), DateTimeStyle::default());
        let settings = ReportSettings {
            report_types: vec![ReportType::OwaspTop102021, ReportType::PciDss4],
            include_notes: true,
            custom_footer: "Confidential\nNorthwind | internal".into(),
            ..ReportSettings::default()
        };
        let text = render(&settings, &input(&a, &f, &dates), ReportFormat::Markdown);
        assert!(
            text.starts_with("# Security report: payments\\-api")
                || text.starts_with("# Security report: payments-api")
        );
        assert!(text.contains("3 of 5 vulnerabilities listed"), "{text}");
        assert!(text.contains("| critical | 1 |"), "{text}");
        assert!(text.contains("SQL \\| injection \\<b\\>"), "{text}");
        assert!(text.contains("A03:2021 Injection"), "{text}");
        assert!(text.contains("6.2.4"), "{text}");
        assert!(text.contains("A01:2021 Broken Access Control"), "{text}");
        assert!(text.contains("## Notes"), "{text}");
        assert!(text.contains("looked at Path"), "{text}");
        assert!(
            !text.contains("looked at Fixed XSS"),
            "only listed vulnerabilities' notes"
        );
        assert!(text.contains("Northwind \\| internal"), "{text}");
        let no_notes = render(
            &ReportSettings::default(),
            &input(&a, &f, &dates),
            ReportFormat::Markdown,
        );
        assert!(!no_notes.contains("## Notes"));
        assert!(!no_notes.contains("PCI DSS"));
    }

    #[test]
    fn html_escapes_what_agents_sent() {
        let (a, f, dates) = (app(), findings(), DateTimeStyle::default());
        let settings = ReportSettings {
            custom_footer: "<script>x</script>".into(),
            ..ReportSettings::default()
        };
        let page = render(&settings, &input(&a, &f, &dates), ReportFormat::Html);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("SQL | injection &lt;b&gt;"), "{page}");
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("<td>critical</td><td>1</td>"));
    }

    #[test]
    fn rules_map_to_each_framework_or_to_none() {
        assert_eq!(
            category("sql-injection", ReportType::Nist80053),
            Some("SI-10 Information Input Validation")
        );
        assert_eq!(
            category("xss-stored", ReportType::DisaStig),
            Some("APSC-DV-002490 Cross-site scripting")
        );
        assert_eq!(category("ssrf", ReportType::DisaStig), None);
        assert_eq!(category("cookie-flags", ReportType::OwaspTop102021), None);
    }
}
