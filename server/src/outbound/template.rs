//! A generic webhook's payload template (SETTINGS.md §6): text with `$Title`, `$Message`, `$EventType`,
//! `$Severity` and `$ApplicationName` placeholders. A template that starts with `{` or `[` is JSON and its
//! values are inserted JSON-escaped (so a title holding `"` or a newline cannot break out of its string or
//! add fields); any other template is a form body and its values are URL-encoded. The template is parsed
//! once, so a value that itself contains `$Title` is never expanded again.

/// Templates longer than this are refused: a delivery body should stay under about 20 kB (Standard
/// Webhooks), and the values add to it.
pub const MAX_TEMPLATE_LEN: usize = 16 * 1024;

/// A value of an event that a template can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Title,
    Message,
    EventType,
    Severity,
    ApplicationName,
}

impl Placeholder {
    pub const ALL: [Placeholder; 5] = [
        Placeholder::Title,
        Placeholder::Message,
        Placeholder::EventType,
        Placeholder::Severity,
        Placeholder::ApplicationName,
    ];

    /// The name after the `$`.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Title => "Title",
            Placeholder::Message => "Message",
            Placeholder::EventType => "EventType",
            Placeholder::Severity => "Severity",
            Placeholder::ApplicationName => "ApplicationName",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The values one event fills a template with.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateValues<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub event_type: &'a str,
    pub severity: &'a str,
    pub application_name: &'a str,
}

impl TemplateValues<'_> {
    fn get(&self, p: Placeholder) -> &str {
        match p {
            Placeholder::Title => self.title,
            Placeholder::Message => self.message,
            Placeholder::EventType => self.event_type,
            Placeholder::Severity => self.severity,
            Placeholder::ApplicationName => self.application_name,
        }
    }
}

/// How a template's values are escaped, and the body's content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    Json,
    Form,
}

impl TemplateKind {
    pub fn content_type(self) -> &'static str {
        match self {
            TemplateKind::Json => "application/json",
            TemplateKind::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// What is wrong with a template, in words for the admin who saves it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the payload template is empty")]
    Empty,
    #[error("the payload template is longer than {MAX_TEMPLATE_LEN} bytes")]
    TooLong,
    #[error(
        "unknown placeholder ${name} at line {line} column {column} (known: $Title, $Message, $EventType, \
         $Severity, $ApplicationName; write $$ for a plain $)"
    )]
    UnknownPlaceholder { name: String, line: usize, column: usize },
    #[error("the template starts like JSON but is not valid JSON once its placeholders are filled in: {0}")]
    InvalidJson(String),
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    /// `quoted`: inside a JSON string, so the value goes in without its own quotes.
    Value {
        placeholder: Placeholder,
        quoted: bool,
    },
}

/// A checked template, ready to render any number of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadTemplate {
    kind: TemplateKind,
    segments: Vec<Segment>,
}

/// Checks a template at save time; the error names the problem and where it is.
pub fn validate(template: &str) -> Result<TemplateKind, TemplateError> {
    PayloadTemplate::parse(template).map(|t| t.kind())
}

impl PayloadTemplate {
    /// Parses `template`. A JSON template must still be valid JSON once every placeholder holds a value
    /// full of quotes, backslashes and newlines (so escaping, not luck, keeps it valid).
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        if template.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        if template.len() > MAX_TEMPLATE_LEN {
            return Err(TemplateError::TooLong);
        }
        let kind = if template.trim_start().starts_with(['{', '[']) {
            TemplateKind::Json
        } else {
            TemplateKind::Form
        };
        let parsed = Self {
            kind,
            segments: segments(template, kind)?,
        };
        if kind == TemplateKind::Json {
            let hostile = "a \"quoted\" \\ back\\slash\nnew line\t$Title </script> \u{2028}";
            let sample = TemplateValues {
                title: hostile,
                message: hostile,
                event_type: hostile,
                severity: hostile,
                application_name: hostile,
            };
            serde_json::from_str::<serde::de::IgnoredAny>(&parsed.render(&sample))
                .map_err(|e| TemplateError::InvalidJson(e.to_string()))?;
        }
        Ok(parsed)
    }

    pub fn kind(&self) -> TemplateKind {
        self.kind
    }

    /// The body for one event: each placeholder replaced by its value, escaped for the template's kind.
    pub fn render(&self, values: &TemplateValues<'_>) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Value { placeholder, quoted } => {
                    let value = values.get(*placeholder);
                    match self.kind {
                        TemplateKind::Json => {
                            let json = serde_json::to_string(value).expect("a string serializes");
                            out.push_str(if *quoted { &json[1..json.len() - 1] } else { &json });
                        }
                        TemplateKind::Form => out.extend(form_urlencoded::byte_serialize(value.as_bytes())),
                    }
                }
            }
        }
        out
    }
}

/// Splits a template into text and placeholders, noting for JSON which placeholders sit inside a string.
fn segments(template: &str, kind: TemplateKind) -> Result<Vec<Segment>, TemplateError> {
    let mut out = Vec::new();
    let mut text = String::new();
    let (mut in_string, mut escaped) = (false, false);
    let (mut line, mut column) = (1, 0);
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            (line, column) = (line + 1, 0);
        }
        // A `$` right after a backslash inside a JSON string is that escape's character, not a placeholder.
        let after_backslash = escaped;
        if kind == TemplateKind::Json {
            if escaped {
                escaped = false;
            } else if in_string && c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = !in_string;
            }
        }
        if c != '$' || after_backslash {
            text.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => {
                chars.next();
                column += 1;
                text.push('$');
            }
            Some(next) if next.is_ascii_alphabetic() => {
                let start_column = column;
                let mut name = String::new();
                while let Some(&n) = chars.peek().filter(|n| n.is_ascii_alphanumeric() || **n == '_') {
                    name.push(n);
                    chars.next();
                    column += 1;
                }
                let placeholder = Placeholder::from_name(&name).ok_or(TemplateError::UnknownPlaceholder {
                    name,
                    line,
                    column: start_column,
                })?;
                if !text.is_empty() {
                    out.push(Segment::Text(std::mem::take(&mut text)));
                }
                out.push(Segment::Value {
                    placeholder,
                    quoted: in_string,
                });
            }
            _ => text.push('$'),
        }
    }
    if !text.is_empty() {
        out.push(Segment::Text(text));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const HOSTILE: &str = "He said \"hi\", \\o/ \n\r\t\u{0}\u{1b}[31m $Message $$Title </script> é 😀";

    fn values(all: &str) -> TemplateValues<'_> {
        TemplateValues {
            title: all,
            message: all,
            event_type: all,
            severity: all,
            application_name: all,
        }
    }

    #[test]
    fn json_values_are_escaped_and_come_back_unchanged() {
        let t = PayloadTemplate::parse(
            r#"{"text": "[$Severity] $Title", "detail": {"msg": "$Message"}, "app": $ApplicationName, "tags": ["$EventType"]}"#,
        )
        .unwrap();
        assert_eq!(t.kind(), TemplateKind::Json);
        let v = TemplateValues {
            title: HOSTILE,
            message: "line 1\nline 2",
            event_type: "vuln.\"created\"",
            severity: "high\\",
            application_name: "App \"One\"",
        };
        let body: Value = serde_json::from_str(&t.render(&v)).expect("still valid JSON");
        assert_eq!(
            body,
            json!({
                "text": format!("[high\\] {HOSTILE}"),
                "detail": {"msg": "line 1\nline 2"},
                "app": "App \"One\"",
                "tags": ["vuln.\"created\""],
            })
        );
        assert_eq!(body.as_object().unwrap().len(), 4, "no field was injected");
    }

    #[test]
    fn a_placeholder_inside_a_value_is_not_expanded_again() {
        let t = PayloadTemplate::parse(r#"{"t":"$Title","m":"$Message"}"#).unwrap();
        let v = TemplateValues {
            title: "$Message",
            message: "$Title and $$",
            ..Default::default()
        };
        let body: Value = serde_json::from_str(&t.render(&v)).unwrap();
        assert_eq!(body, json!({"t": "$Message", "m": "$Title and $$"}));
        let form = PayloadTemplate::parse("t=$Title").unwrap();
        assert_eq!(form.render(&v), "t=%24Message");
    }

    #[test]
    fn form_templates_url_encode_their_values() {
        let t = PayloadTemplate::parse("title=$Title&sev=$Severity&app=$ApplicationName").unwrap();
        assert_eq!(t.kind(), TemplateKind::Form);
        assert_eq!(t.kind().content_type(), "application/x-www-form-urlencoded");
        let v = TemplateValues {
            title: "a&b=c d\n\"é\"",
            severity: "100%",
            application_name: "x+y",
            ..Default::default()
        };
        let body = t.render(&v);
        assert_eq!(body, "title=a%26b%3Dc+d%0A%22%C3%A9%22&sev=100%25&app=x%2By");
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        assert_eq!(pairs.len(), 3, "no parameter was injected");
        assert_eq!(pairs[0].1, "a&b=c d\n\"é\"");
        assert_eq!(
            PayloadTemplate::parse("t=$Title")
                .unwrap()
                .render(&values(HOSTILE))
                .matches('&')
                .count(),
            0
        );
    }

    #[test]
    fn escapes_in_a_json_template_do_not_confuse_the_string_tracking() {
        let t = PayloadTemplate::parse(r#"{"a": "say \"$Title\" \\", "b": $Message}"#).unwrap();
        let body: Value = serde_json::from_str(&t.render(&values("x\"y"))).unwrap();
        assert_eq!(body, json!({"a": "say \"x\"y\" \\", "b": "x\"y"}));
    }

    #[test]
    fn dollar_signs_that_are_not_placeholders() {
        let t = PayloadTemplate::parse("price=$$5 $5 $ $Title").unwrap();
        assert_eq!(t.render(&values("v")), "price=$5 $5 $ v");
        let err = PayloadTemplate::parse("{\n  \"t\": \"$Titel\"\n}").unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnknownPlaceholder {
                name: "Titel".into(),
                line: 2,
                column: 9
            }
        );
        assert!(err.to_string().contains("$Titel at line 2 column 9"), "{err}");
        assert!(matches!(
            PayloadTemplate::parse("a=$TitleX"),
            Err(TemplateError::UnknownPlaceholder { name, .. }) if name == "TitleX"
        ));
        assert!(matches!(
            PayloadTemplate::parse("a=$title"),
            Err(TemplateError::UnknownPlaceholder { .. })
        ));
    }

    #[test]
    fn invalid_json_templates_are_refused_with_the_reason() {
        for bad in [
            r#"{"text": "$Title""#,
            r#"{"text": "$Title",}"#,
            r#"{"text" "$Title"}"#,
            r#"{"text": "$Title" "$Message"}"#,
            r#"{"text": "\$Title"}"#,
            r#"[$Title $Message]"#,
        ] {
            let err = validate(bad).unwrap_err();
            assert!(matches!(err, TemplateError::InvalidJson(_)), "{bad}: {err:?}");
            assert!(err.to_string().contains("line 1 column"), "{bad}: {err}");
        }
        assert_eq!(validate(r#"{"text": "$Title"}"#), Ok(TemplateKind::Json));
        assert_eq!(validate(r#"  [$Title, "$Message"]"#), Ok(TemplateKind::Json));
        assert_eq!(validate("   "), Err(TemplateError::Empty));
        assert_eq!(validate(&"x".repeat(MAX_TEMPLATE_LEN + 1)), Err(TemplateError::TooLong));
    }
}
