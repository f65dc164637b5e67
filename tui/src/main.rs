//! `orgdeck`: the console binary. Everything lives in the library; see `orgdeck::cli`.

fn main() -> std::process::ExitCode {
    orgdeck::cli::main()
}
