//! The yusuan binary: parses the command line, runs it through the library, prints the error chain.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // The data folder and backups hold secrets: whatever this process creates is its owner's alone.
    yusuan::private::restrict_process();
    let cli = yusuan::cli::Cli::parse();
    if cli.command.writes_to_pipe() {
        // A reader that stops early (`yusuan search ... | head`) ends the command quietly, as with any Unix
        // tool, instead of a broken-pipe panic. The server keeps the default: it must survive closed sockets.
        // SAFETY: called once at start-up, before any thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "yusuan=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        // A log nobody reads any more (a closed pipe) is not worth a panic: the subscriber would report the
        // failed write with `eprintln!`, which panics on that same pipe.
        .log_internal_errors(false)
        // Colour codes only on a terminal: a log file or journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match yusuan::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            yusuan::errln!("错误: {e}");
            for cause in e.chain().skip(1) {
                yusuan::errln!("  原因: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
