//! A backend wrapper that writes fewer bytes: between two changed cells of a row separated by a short run
//! of unchanged cells in the same style, it writes those cells again instead of moving the cursor (a
//! cursor move costs 6 to 9 bytes, a cell usually 1). It keeps a copy of the screen to know them.
//! Figure T3 of PERFORMANCE.md counts these bytes.

use ratatui::{
    backend::{Backend, ClearType, WindowSize},
    buffer::{Buffer, Cell},
    layout::{Position, Rect, Size},
};

/// Longest run of unchanged cells written again rather than jumped over.
const MAX_GAP: u16 = 5;

pub struct GapFill<B: Backend> {
    inner: B,
    screen: Buffer,
}

impl<B: Backend> GapFill<B> {
    pub fn new(inner: B) -> Self {
        GapFill {
            inner,
            screen: Buffer::empty(Rect::ZERO),
        }
    }

    pub fn inner(&self) -> &B {
        &self.inner
    }

    pub fn inner_mut(&mut self) -> &mut B {
        &mut self.inner
    }
}

/// A cell that is one column wide for sure (so writing it moves the cursor by exactly one).
fn narrow(cell: &Cell) -> bool {
    let mut chars = cell.symbol().chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if (c as u32) < 0x1100 && !c.is_control())
}

fn same_style(a: &Cell, b: &Cell) -> bool {
    a.fg == b.fg && a.bg == b.bg && a.modifier == b.modifier
}

impl<B: Backend> Backend for GapFill<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let changed: Vec<(u16, u16, &Cell)> = content.collect();
        let (w, h) = changed.iter().fold(
            (self.screen.area.width, self.screen.area.height),
            |(w, h), (x, y, _)| (w.max(x + 1), h.max(y + 1)),
        );
        if (w, h) != (self.screen.area.width, self.screen.area.height) {
            self.screen.resize(Rect::new(0, 0, w, h));
        }
        for (x, y, cell) in &changed {
            self.screen[(*x, *y)] = (*cell).clone();
        }
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(changed.len());
        for (x, y, _) in &changed {
            if let Some(&(px, py)) = out.last() {
                let gap = x.saturating_sub(px + 1);
                if py == *y && *x > px + 1 && gap <= MAX_GAP {
                    let prev = &self.screen[(px, py)];
                    let fill = (px + 1..*x).all(|gx| {
                        let c = &self.screen[(gx, *y)];
                        narrow(c) && same_style(prev, c)
                    });
                    if fill && narrow(prev) {
                        out.extend((px + 1..*x).map(|gx| (gx, *y)));
                    }
                }
            }
            out.push((*x, *y));
        }
        let screen = &self.screen;
        self.inner.draw(out.into_iter().map(|(x, y)| (x, y, &screen[(x, y)])))
    }

    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.screen.reset();
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        // What the region held is unknown now: forget the copy, so nothing stale is written again.
        self.screen = Buffer::empty(Rect::ZERO);
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;

    #[test]
    fn short_gaps_in_the_same_style_are_written_again_and_the_screen_stays_right() {
        let mut backend = GapFill::new(TestBackend::new(20, 2));
        let mut a = Buffer::empty(Rect::new(0, 0, 20, 2));
        a.set_string(0, 0, "User 000001 x", ratatui::style::Style::default());
        backend
            .draw(
                a.content
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ((i % 20) as u16, (i / 20) as u16, c)),
            )
            .unwrap();
        let mut b = a.clone();
        b.set_string(0, 0, "User 000002 y", ratatui::style::Style::default());
        let diff = a.diff(&b);
        assert_eq!(diff.len(), 2);
        backend.draw(diff.into_iter()).unwrap();
        assert_eq!(backend.inner().buffer()[(10, 0)].symbol(), "2");
        assert_eq!(backend.inner().buffer()[(12, 0)].symbol(), "y");
        assert_eq!(backend.inner().buffer()[(11, 0)].symbol(), " ");
    }
}
