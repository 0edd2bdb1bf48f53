//! The yusuan binary: parses the command line, runs it through the library, prints the error chain.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = yusuan::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "yusuan=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match yusuan::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  原因: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
