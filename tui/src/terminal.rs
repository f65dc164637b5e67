//! Terminal setup and its guaranteed restore: on return, on error (a guard's `Drop`) and on panic (a hook
//! that restores before the panic message is printed).

use std::io::{self, Stdout};

use crossterm::{
    cursor::Show,
    execute,
    terminal::{Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode},
};
use ratatui::{Terminal, backend::CrosstermBackend};

use crate::backend::GapFill;

pub type ConsoleTerminal = Terminal<GapFill<CrosstermBackend<Stdout>>>;

/// Restores the terminal when dropped, whatever way the console ends.
pub struct TerminalGuard {
    pub terminal: ConsoleTerminal,
}

impl TerminalGuard {
    /// Raw mode and the alternate screen, with the panic hook installed first.
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        if let Err(e) = execute!(io::stdout(), EnterAlternateScreen) {
            restore();
            return Err(e);
        }
        match Terminal::new(GapFill::new(CrosstermBackend::new(io::stdout()))) {
            Ok(mut terminal) => {
                let _ = terminal.hide_cursor();
                // Not `terminal.clear()`: it asks the terminal where the cursor is and waits up to two
                // seconds for an answer that some terminals (and slow links) never send.
                let _ = execute!(io::stdout(), Clear(ClearType::All));
                Ok(TerminalGuard { terminal })
            }
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen, shows the cursor and ends raw mode. Safe to call more than once.
pub fn restore() {
    let _ = execute!(
        io::stdout(),
        crossterm::terminal::EndSynchronizedUpdate,
        LeaveAlternateScreen,
        Show
    );
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}
