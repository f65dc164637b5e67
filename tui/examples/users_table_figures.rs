//! Prints T2 (update + draw of the frames of moves across the table) and T3 (bytes written per byte of
//! changed cells) with a 100,000-row users table served in-process:
//! `cargo run --release -p orgdeck --example users_table_figures`. The harness
//! (`cargo run --release -p orgdeck-tests --bin bench -- --only T2,T3`) prints them against their bars.

use orgdeck::bench::{cursor_moves, moves_across_the_table};

fn main() -> anyhow::Result<()> {
    let rows = 100_000;
    let mut times: Vec<_> = moves_across_the_table(rows, 120, 40)?.iter().map(|f| f.time).collect();
    times.sort();
    let p99 = times[(times.len() * 99).div_ceil(100) - 1];
    println!(
        "T2 p99 {p99:?} over {} frames, slowest {:?}",
        times.len(),
        times[times.len() - 1]
    );
    for (w, h) in [(80, 24), (120, 40)] {
        let frames = cursor_moves(rows, w, h, 500);
        let bytes: usize = frames.iter().map(|f| f.cost.bytes).sum();
        let cell_bytes: usize = frames.iter().map(|f| f.cost.cell_bytes).sum();
        println!(
            "T3 at {w}x{h}: {bytes} bytes / {cell_bytes} bytes of changed cells = {:.2}",
            bytes as f64 / cell_bytes as f64
        );
    }
    Ok(())
}
