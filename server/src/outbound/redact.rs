//! Text from or about an outbound request, made safe for the delivery log and the admin's screen: our
//! secrets removed (a remote service may echo a token back, or a URL with its key in the query), and
//! control characters stripped (an answer is shown in a terminal, where an escape sequence would act).

use url::Url;

/// What stands where a secret was.
pub const REDACTED: &str = "[redacted]";

/// How much of an answer the delivery log keeps (SETTINGS.md §6: a response excerpt).
pub const EXCERPT_CHARS: usize = 2048;

/// Query values shorter than this are not treated as secrets: a key that short protects nothing, and
/// redacting `1` or `true` everywhere would garble the excerpt. Secrets given by name are always redacted.
const MIN_QUERY_SECRET_LEN: usize = 8;

/// Removes a request's secrets from text: the strings given (tokens, passwords, a Slack URL's path) and the
/// values of the URL's query, each also in its URL-encoded and JSON-escaped forms, as a remote service
/// would echo them.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret containing another is removed whole.
    needles: Vec<String>,
}

impl Redactor {
    /// `secrets` are redacted whatever their length; `url`'s query values from 8 characters.
    pub fn new<I, S>(url: &Url, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut needles = Vec::new();
        for secret in secrets {
            push_forms(&mut needles, secret.as_ref());
        }
        if let Some(query) = url.query() {
            for raw in query.split('&').filter_map(|pair| pair.split_once('=').map(|(_, v)| v)) {
                if raw.len() >= MIN_QUERY_SECRET_LEN {
                    push_forms(&mut needles, raw);
                }
            }
            for (_, value) in url.query_pairs() {
                if value.len() >= MIN_QUERY_SECRET_LEN {
                    push_forms(&mut needles, &value);
                }
            }
        }
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        Self { needles }
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), REDACTED);
            }
        }
        out
    }

    /// The first `max_chars` characters of `bytes` as text: invalid UTF-8 replaced, secrets redacted (before
    /// cutting, so no secret shows half), control and bidirectional-override characters removed (newlines
    /// and tabs kept), `…` where it was cut.
    pub fn excerpt(&self, bytes: &[u8], max_chars: usize) -> String {
        let text = self.redact(&String::from_utf8_lossy(bytes));
        let mut out = String::new();
        for (kept, c) in text.chars().filter(|&c| is_shown(c)).enumerate() {
            if kept == max_chars {
                out.push('…');
                break;
            }
            out.push(c);
        }
        out
    }
}

fn push_forms(needles: &mut Vec<String>, secret: &str) {
    if secret.is_empty() {
        return;
    }
    needles.push(secret.to_owned());
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    needles.push(form.replace('+', "%20"));
    needles.push(form);
    let json = serde_json::to_string(secret).expect("a string serializes");
    needles.push(json[1..json.len() - 1].to_owned());
    needles.push(json[1..json.len() - 1].replace('/', "\\/"));
}

fn is_shown(c: char) -> bool {
    let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}');
    (c == '\n' || c == '\t' || !c.is_control()) && !bidi
}

/// `url` for logs and error messages: no credentials, no fragment, each query value replaced by
/// [`REDACTED`] (the keys stay: `api_key=[redacted]` says what was sent).
pub fn redacted_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_fragment(None);
    if url.query().is_some() {
        let pairs: Vec<String> = url
            .query()
            .unwrap_or_default()
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) => format!("{key}={REDACTED}"),
                None if pair.is_empty() => String::new(),
                None => format!("{pair}={REDACTED}"),
            })
            .collect();
        shown.set_query(Some(&pairs.join("&")));
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn secrets_and_query_values_are_redacted_in_every_echoed_form() {
        let r = Redactor::new(
            &url("https://bz.example/rest/bug?api_key=ABCDEFGH12345678&limit=5"),
            ["s3cret/token+x y"],
        );
        let text = concat!(
            "raw s3cret/token+x y; form s3cret%2Ftoken%2Bx+y; pct s3cret%2Ftoken%2Bx%20y; ",
            "json s3cret\\/token+x y; key ABCDEFGH12345678 limit 5"
        );
        let out = r.redact(text);
        assert!(!out.contains("s3cret"), "{out}");
        assert!(!out.contains("ABCDEFGH"), "{out}");
        assert!(out.ends_with("limit 5"), "short values stay: {out}");
        assert_eq!(out.matches(REDACTED).count(), 5, "{out}");
    }

    #[test]
    fn a_secret_is_redacted_before_the_excerpt_is_cut() {
        let r = Redactor::new(&url("https://h.example/"), ["0123456789abcdef"]);
        let body = b"token: 0123456789abcdef and more";
        let out = r.excerpt(body, 12);
        assert_eq!(out, "token: [reda…");
        assert!(!out.contains("0123"));
    }

    #[test]
    fn excerpts_strip_terminal_controls_and_replace_invalid_utf8() {
        let r = Redactor::default();
        let out = r.excerpt(b"ok\x1b[2J\x07\r\nline\ttab\xff\xe2\x80\xaeevil", 100);
        assert_eq!(out, "ok[2J\nline\ttab\u{fffd}evil");
        assert_eq!(r.excerpt("ééé".as_bytes(), 2), "éé…");
        assert_eq!(r.excerpt(b"", 10), "");
    }

    #[test]
    fn urls_are_shown_without_credentials_or_query_values() {
        assert_eq!(
            redacted_url(&url("https://u:p@bz.example/rest/bug?api_key=k&flag#frag")),
            "https://bz.example/rest/bug?api_key=[redacted]&flag=[redacted]"
        );
        assert_eq!(redacted_url(&url("http://h.example:8080/x")), "http://h.example:8080/x");
    }
}
