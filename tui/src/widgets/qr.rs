//! A QR code drawn with text: two modules per character cell (upper and lower half blocks), dark modules
//! as block characters, drawn dark on light whatever the theme, so a phone reads it from a normal
//! terminal window.

use qrcode::{EcLevel, QrCode, types::QrError};
use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Style},
    text::Line,
    widgets::Paragraph,
};

/// Light modules around the code, as the standard asks, when the area has room for them.
pub const QUIET: usize = 4;
/// The narrowest quiet zone drawn: it keeps a typical `otpauth://` URI inside 80x24, and phones read it
/// (a decoder test reads it back with a dark terminal all round).
pub const MIN_QUIET: usize = 2;

/// The characters a drawing is made of: both halves light, lower dark, upper dark, both dark.
pub const BLOCKS: [char; 4] = [' ', '▄', '▀', '█'];

/// An encoded code, drawn on demand with the widest quiet zone that fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrArt {
    /// Row-major, `modules * modules`, true for a dark module.
    dark: Vec<bool>,
    /// Modules per side of the code itself (21 for version 1, 4 more per version).
    pub modules: usize,
}

impl QrArt {
    /// Encodes `data` with low error correction, so the code stays small.
    pub fn new(data: &[u8]) -> Result<QrArt, QrError> {
        let code = QrCode::with_error_correction_level(data, EcLevel::L)?;
        let modules = code.width();
        let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
        Ok(QrArt { dark, modules })
    }

    /// Columns and rows of the drawing with a quiet zone of `quiet` modules (the last row's lower half is
    /// light when the module count is odd).
    pub fn size(&self, quiet: usize) -> (u16, u16) {
        let side = self.modules + 2 * quiet;
        (side as u16, side.div_ceil(2) as u16)
    }

    /// The smallest drawing: what a terminal needs at least.
    pub fn min_size(&self) -> (u16, u16) {
        self.size(MIN_QUIET)
    }

    /// The widest quiet zone, from [`QUIET`] down to [`MIN_QUIET`], whose drawing fits `area`.
    pub fn quiet_for(&self, area: Rect) -> Option<usize> {
        (MIN_QUIET..=QUIET).rev().find(|q| {
            let (w, h) = self.size(*q);
            w <= area.width && h <= area.height
        })
    }

    /// The drawing with a quiet zone of `quiet` modules: text lines, all as wide.
    pub fn lines(&self, quiet: usize) -> Vec<String> {
        let side = self.modules + 2 * quiet;
        let n = self.modules;
        let dark = |x: usize, y: usize| {
            (quiet..quiet + n).contains(&x)
                && (quiet..quiet + n).contains(&y)
                && self.dark[(y - quiet) * n + (x - quiet)]
        };
        (0..side.div_ceil(2))
            .map(|row| {
                (0..side)
                    .map(|x| {
                        let upper = dark(x, 2 * row);
                        let lower = dark(x, 2 * row + 1);
                        BLOCKS[usize::from(upper) * 2 + usize::from(lower)]
                    })
                    .collect()
            })
            .collect()
    }

    /// Draws the code at the top left of `area`, black modules on white whatever the theme (a phone
    /// needs dark on light), with the widest quiet zone that fits; the rectangle drawn, or `None`,
    /// drawing nothing, when even the narrowest does not fit.
    pub fn render(&self, frame: &mut Frame, area: Rect) -> Option<Rect> {
        let quiet = self.quiet_for(area)?;
        let (width, height) = self.size(quiet);
        let style = Style::default().fg(Color::Black).bg(Color::White);
        let lines: Vec<Line> = self.lines(quiet).into_iter().map(|l| Line::styled(l, style)).collect();
        let rect = Rect::new(area.x, area.y, width, height);
        frame.render_widget(Paragraph::new(lines), rect);
        Some(rect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str =
        "otpauth://totp/Acme%20Corp:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Acme%20Corp";

    #[test]
    fn the_drawing_has_the_size_of_its_version_and_only_block_characters() {
        let art = QrArt::new(URI.as_bytes()).unwrap();
        let version = match QrCode::with_error_correction_level(URI, EcLevel::L).unwrap().version() {
            qrcode::Version::Normal(v) => v as usize,
            qrcode::Version::Micro(_) => unreachable!("a normal code"),
        };
        assert_eq!(art.modules, 17 + 4 * version);
        for quiet in MIN_QUIET..=QUIET {
            let lines = art.lines(quiet);
            let width = art.modules + 2 * quiet;
            // Two modules a line: the code's rows and the quiet zone above and below, rounded up.
            assert_eq!(lines.len(), width.div_ceil(2));
            assert_eq!(art.size(quiet), (width as u16, lines.len() as u16));
            let margin = " ".repeat(quiet);
            for line in &lines {
                assert_eq!(line.chars().count(), width);
                assert!(line.chars().all(|c| BLOCKS.contains(&c)), "{line:?}");
                assert!(line.starts_with(&margin) && line.ends_with(&margin), "{line:?}");
            }
            // The quiet zone is light above and below.
            assert!(lines[..quiet / 2].iter().all(|l| l.chars().all(|c| c == ' ')));
            assert!(lines.last().unwrap().chars().all(|c| c == ' ' || c == '▀'));
        }
    }

    /// Reads each drawing back into modules and compares them with the code the encoder made: what a
    /// phone sees is exactly the code, in a quiet zone of the width asked for.
    #[test]
    fn the_drawing_holds_exactly_the_modules_of_the_code() {
        let code = QrCode::with_error_correction_level(URI, EcLevel::L).unwrap();
        let n = code.width();
        let colors = code.to_colors();
        let art = QrArt::new(URI.as_bytes()).unwrap();
        for quiet in MIN_QUIET..=QUIET {
            let cells: Vec<Vec<char>> = art.lines(quiet).iter().map(|l| l.chars().collect()).collect();
            for y in 0..n + 2 * quiet {
                for x in 0..n + 2 * quiet {
                    let c = cells[y / 2][x];
                    let dark = matches!((c, y % 2), ('█', _) | ('▀', 0) | ('▄', 1));
                    let inside = (quiet..quiet + n).contains(&x) && (quiet..quiet + n).contains(&y);
                    let expected = inside && colors[(y - quiet) * n + (x - quiet)] == qrcode::Color::Dark;
                    assert_eq!(dark, expected, "quiet {quiet}, module ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn the_standard_quiet_zone_is_drawn_when_there_is_room_and_a_narrower_one_otherwise() {
        let art = QrArt::new(URI.as_bytes()).unwrap();
        let (w4, h4) = art.size(QUIET);
        assert_eq!(art.quiet_for(Rect::new(0, 0, w4, h4)), Some(QUIET));
        assert_eq!(art.quiet_for(Rect::new(0, 0, w4, h4 - 1)), Some(QUIET - 1));
        let (w2, h2) = art.min_size();
        assert_eq!(art.quiet_for(Rect::new(0, 0, w2, h2)), Some(MIN_QUIET));
        assert_eq!(art.quiet_for(Rect::new(0, 0, w2 - 1, h2)), None);
    }

    #[test]
    fn a_typical_uri_fits_an_80x24_terminal_beside_its_text() {
        let art = QrArt::new(URI.as_bytes()).unwrap();
        let (w, h) = art.min_size();
        assert!(h <= 24, "{h} lines");
        assert!(w <= 46, "{w} columns");
    }
}
