//! A QR code drawn with text: two modules per character cell (`qrcode`'s `unicode::Dense1x2`), dark
//! modules as block characters, so it scans from a normal terminal window when drawn dark on light.

use qrcode::{EcLevel, QrCode, render::unicode::Dense1x2, types::QrError};
use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Style},
    text::Line,
    widgets::Paragraph,
};

/// Light modules around the code, in modules. The standard asks for 4; 2 keeps a typical
/// `otpauth://` URI inside 80x24 and phones read it fine (the terminal around it is contrast enough).
pub const QUIET: usize = 2;

/// The characters a drawing is made of (`Dense1x2`'s code page).
pub const BLOCKS: [char; 4] = [' ', '▄', '▀', '█'];

/// The drawn code: text lines, all `width` characters wide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrArt {
    pub lines: Vec<String>,
    /// Modules per side of the code itself (21 for version 1, 4 more per version).
    pub modules: usize,
}

impl QrArt {
    /// Encodes `data` (low error correction, so the code stays small) and draws it with a quiet zone
    /// of [`QUIET`] modules on every side (one more at the bottom, where the last cell is half used).
    pub fn new(data: &[u8]) -> Result<QrArt, QrError> {
        let code = QrCode::with_error_correction_level(data, EcLevel::L)?;
        let modules = code.width();
        let body = code
            .render::<Dense1x2>()
            .quiet_zone(false)
            .module_dimensions(1, 1)
            .dark_color(Dense1x2::Dark)
            .light_color(Dense1x2::Light)
            .build();
        let side = " ".repeat(QUIET);
        let blank = " ".repeat(modules + 2 * QUIET);
        let mut lines = Vec::with_capacity(modules / 2 + 3);
        // QUIET modules above: QUIET / 2 whole cells.
        lines.extend(std::iter::repeat_n(blank.clone(), QUIET / 2));
        lines.extend(body.lines().map(|l| format!("{side}{l}{side}")));
        lines.extend(std::iter::repeat_n(blank, QUIET / 2));
        Ok(QrArt { lines, modules })
    }

    pub fn width(&self) -> u16 {
        (self.modules + 2 * QUIET) as u16
    }

    pub fn height(&self) -> u16 {
        self.lines.len() as u16
    }

    /// Draws the code at the top left of `area`, black modules on white whatever the theme (a phone
    /// needs dark on light); false, drawing nothing, when it does not fit.
    pub fn render(&self, frame: &mut Frame, area: Rect) -> bool {
        if self.width() > area.width || self.height() > area.height {
            return false;
        }
        let style = Style::default().fg(Color::Black).bg(Color::White);
        let lines: Vec<Line> = self.lines.iter().map(|l| Line::styled(l.clone(), style)).collect();
        frame.render_widget(
            Paragraph::new(lines),
            Rect::new(area.x, area.y, self.width(), self.height()),
        );
        true
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
        let width = art.modules + 2 * QUIET;
        // Two modules a line: the code's rows, rounded up, and the quiet zone above and below.
        assert_eq!(art.lines.len(), art.modules.div_ceil(2) + QUIET);
        for line in &art.lines {
            assert_eq!(line.chars().count(), width);
            assert!(line.chars().all(|c| BLOCKS.contains(&c)), "{line:?}");
        }
        // The quiet zone is light all round.
        assert!(art.lines.first().unwrap().chars().all(|c| c == ' '));
        assert!(art.lines.last().unwrap().chars().all(|c| c == ' '));
        assert!(art.lines.iter().all(|l| l.starts_with("  ") && l.ends_with("  ")));
    }

    /// Reads the drawing back into modules and compares them with the code the encoder made: what a
    /// phone sees is exactly the code.
    #[test]
    fn the_drawing_holds_exactly_the_modules_of_the_code() {
        let code = QrCode::with_error_correction_level(URI, EcLevel::L).unwrap();
        let n = code.width();
        let colors = code.to_colors();
        let art = QrArt::new(URI.as_bytes()).unwrap();
        let cells: Vec<Vec<char>> = art.lines.iter().map(|l| l.chars().collect()).collect();
        for y in 0..n + 2 * QUIET {
            for x in 0..n + 2 * QUIET {
                let c = cells[y / 2][x];
                let dark = matches!((c, y % 2), ('█', _) | ('▀', 0) | ('▄', 1));
                let inside = (QUIET..QUIET + n).contains(&x) && (QUIET..QUIET + n).contains(&y);
                let expected = inside && colors[(y - QUIET) * n + (x - QUIET)] == qrcode::Color::Dark;
                assert_eq!(dark, expected, "module ({x}, {y})");
            }
        }
    }

    #[test]
    fn a_typical_uri_fits_an_80x24_terminal_beside_its_text() {
        let art = QrArt::new(URI.as_bytes()).unwrap();
        assert!(art.height() <= 24, "{} lines", art.height());
        assert!(art.width() <= 46, "{} columns", art.width());
    }
}
