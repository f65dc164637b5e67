//! Prints T2 (update + draw of one cursor move), T3 (bytes per changed cell) and the rows held, with a
//! 100,000-row users table served in-process: `cargo run --release -p orgdeck --example users_table_figures`.

use std::time::Instant;

use orgdeck::bench::UsersTableBench;

fn main() {
    let rows = 100_000;
    let mut bench = UsersTableBench::new(rows);
    let moves = 5_000;
    let mut worst = std::time::Duration::ZERO;
    let start = Instant::now();
    for _ in 0..moves {
        let t = Instant::now();
        bench.cursor_down_and_draw();
        worst = worst.max(t.elapsed());
    }
    let mean = start.elapsed() / moves;
    let (cursor, held) = bench.position();
    println!("T2 mean {mean:?} worst {worst:?} per move (cursor at {cursor}, {held} rows held)");
    for (w, h) in [(80, 24), (120, 40)] {
        let mut bytes = UsersTableBench::with_bytes(rows, w, h);
        let (mut b, mut c) = (0, 0);
        for _ in 0..500 {
            let cost = bytes.cursor_down_and_count();
            b += cost.bytes;
            c += cost.cells;
        }
        println!(
            "T3 at {w}x{h}: {b} bytes / {c} changed cells = {:.2}",
            b as f64 / c as f64
        );
    }
    bench.go_to_end();
    let (cursor, held) = bench.position();
    println!(
        "T5 (this process, table walked to row {cursor}, {held} rows held): peak RSS {} KiB",
        peak_rss_kib().unwrap_or(0)
    );
}

/// Peak resident memory of this process so far (Linux).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
