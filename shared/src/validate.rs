//! Rules every area shares: what a display name may hold, how long a list in a document or request may
//! be, and which page sizes a list route accepts. The server enforces them and the console shows the same
//! field errors.

use std::{collections::HashSet, hash::Hash};

use crate::FieldError;

/// Whether `c` may not appear in text people read back: control characters (C0 U+0000-U+001F, DEL U+007F,
/// C1 U+0080-U+009F), the line and paragraph separators (U+2028, U+2029), and the bidirectional embeddings,
/// overrides (U+202A-U+202E) and isolates (U+2066-U+2069), which make text display in another order than
/// it is stored (a name that reads "Admins" but is "snimdA").
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Refuses text holding a forbidden character ([`is_forbidden_char`]), naming the first one found.
pub fn check_characters(field: &str, text: &str) -> Result<(), FieldError> {
    match text.chars().find(|c| is_forbidden_char(*c)) {
        Some(c) => Err(FieldError::new(
            field,
            format!(
                "must not contain control or text-direction characters (found U+{:04X})",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
}

/// The one rule of every display name (a person's first or last name, a group, an organization): no
/// forbidden character anywhere, not blank, and at most `max` characters once leading and trailing spaces
/// are trimmed (what is stored).
pub fn validate_display_name(field: &str, name: &str, max: usize) -> Result<(), FieldError> {
    check_characters(field, name)?;
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    let chars = trimmed.chars().count();
    if chars > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters (has {chars})"),
        ));
    }
    Ok(())
}

/// Refuses a list longer than `max`.
pub fn check_list_len<T>(field: &str, list: &[T], max: usize) -> Result<(), FieldError> {
    if list.len() > max {
        Err(FieldError::new(
            field,
            format!("at most {max} entries (has {})", list.len()),
        ))
    } else {
        Ok(())
    }
}

/// Whether a list holds some value twice (in linear time: lists can be long).
pub fn has_duplicates<T: Eq + Hash>(list: &[T]) -> bool {
    let mut seen = HashSet::with_capacity(list.len());
    !list.iter().all(|v| seen.insert(v))
}

/// A list route's `limit`: absent (the default applies) or 1 to `max`.
pub fn check_page_limit(limit: Option<u32>, max: u32) -> Result<(), FieldError> {
    match limit {
        Some(n) if n == 0 || n > max => Err(FieldError::new("limit", format!("must be from 1 to {max}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn control_and_direction_characters_are_refused_and_named() {
        for bad in [
            "a\0b",
            "\u{1b}[31mred",
            "two\nlines",
            "tab\there",
            "del\u{7f}",
            "next\u{85}line",
            "csi\u{9b}31m",
            "evil\u{202E}txt.exe",
            "\u{2066}isolate",
            "line\u{2028}sep",
        ] {
            let e = validate_display_name("name", bad, 100).unwrap_err();
            assert_eq!(e.field, "name", "{bad:?}");
            assert!(e.message.contains("U+"), "{bad:?}: {}", e.message);
        }
        assert!(
            validate_display_name("name", "a\u{202E}b", 100)
                .unwrap_err()
                .message
                .contains("U+202E")
        );
    }

    #[test]
    fn ordinary_unicode_names_are_accepted() {
        for ok in [
            "Zoë Ångström",
            "José María",
            "王小明",
            "Ünïcödé 🚀 team",
            "O'Brien-Smith",
            "عربي",
        ] {
            assert!(validate_display_name("name", ok, 100).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_name_is_measured_after_trimming() {
        assert_eq!(validate_display_name("n", "   ", 5).unwrap_err().message, "is required");
        assert!(validate_display_name("n", "  abcde  ", 5).is_ok());
        assert!(
            validate_display_name("n", "abcdef", 5)
                .unwrap_err()
                .message
                .contains("has 6")
        );
        assert!(validate_display_name("n", "ééééé", 5).is_ok(), "characters, not bytes");
    }

    #[test]
    fn lists_have_a_size_and_page_limits_a_range() {
        assert!(check_list_len("rows", &[1, 2, 3], 3).is_ok());
        let e = check_list_len("rows", &[1, 2, 3, 4], 3).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("rows", "at most 3 entries (has 4)")
        );
        assert!(has_duplicates(&[1, 2, 1]) && !has_duplicates(&[1, 2, 3]));
        assert!(check_page_limit(None, 500).is_ok() && check_page_limit(Some(500), 500).is_ok());
        assert_eq!(check_page_limit(Some(0), 500).unwrap_err().field, "limit");
        assert_eq!(check_page_limit(Some(501), 500).unwrap_err().field, "limit");
    }

    proptest! {
        #[test]
        fn a_name_is_accepted_exactly_when_it_has_no_forbidden_character(name in "\\PC{0,20}|.{0,20}") {
            let forbidden = name.chars().any(is_forbidden_char);
            let result = validate_display_name("name", &name, 100);
            if forbidden {
                prop_assert!(result.is_err());
            } else {
                prop_assert_eq!(result.is_ok(), !name.trim().is_empty());
            }
        }
    }
}
