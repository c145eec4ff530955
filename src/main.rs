use clap::Parser;
use stackify::cli::{Cli, Color};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.color {
        Color::Always => console::set_colors_enabled(true),
        Color::Never => console::set_colors_enabled(false),
        Color::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                console::set_colors_enabled(false);
                console::set_colors_enabled_stderr(false);
            }
        }
    }
    match stackify::session::run::run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("stackify: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
