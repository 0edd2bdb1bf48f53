//! Where a command's output goes: this process's standard output and error, or, while a running server
//! executes a command for a command line on the same machine, back to that command line as it is written.

use std::cell::RefCell;
use std::fmt;
use std::io::{IsTerminal, Write};

/// A piece of a command's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Out(String),
    Err(String),
}

/// The destination of the output written on one thread, and what the far end's terminals are.
pub struct Capture {
    /// Receives each piece as it is written; a far end that went away drops it.
    pub send: Box<dyn Fn(Piece)>,
    pub stdout_terminal: bool,
    pub stderr_terminal: bool,
    /// What the far end read from its standard input, for the commands that read it.
    pub stdin: Option<String>,
}

thread_local! {
    static CAPTURE: RefCell<Option<Capture>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's output sent to `capture`; the thread writes to its own streams again after.
pub fn capture<T>(capture: Capture, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CAPTURE.with(|c| c.borrow_mut().take());
        }
    }
    CAPTURE.with(|c| *c.borrow_mut() = Some(capture));
    let _reset = Reset;
    f()
}

fn write(piece: impl FnOnce(String) -> Piece, args: fmt::Arguments, stdout: bool) {
    let sent = CAPTURE.with(|c| match &*c.borrow() {
        Some(c) => {
            (c.send)(piece(args.to_string()));
            true
        }
        None => false,
    });
    if sent {
        return;
    }
    // Errors of our own streams (a closed pipe) are not the command's failure.
    if stdout {
        let mut out = std::io::stdout().lock();
        let _ = out.write_fmt(args);
        let _ = out.flush();
    } else {
        let _ = std::io::stderr().lock().write_fmt(args);
    }
}

/// Writes to the command's standard output.
pub fn out(args: fmt::Arguments) {
    write(Piece::Out, args, true);
}

/// Writes to the command's standard error (progress, counts, warnings).
pub fn err(args: fmt::Arguments) {
    write(Piece::Err, args, false);
}

/// Whether the command's standard output is a terminal (colours, progress lines).
pub fn stdout_is_terminal() -> bool {
    CAPTURE
        .with(|c| c.borrow().as_ref().map(|c| c.stdout_terminal))
        .unwrap_or_else(|| std::io::stdout().is_terminal())
}

/// Whether the command's standard error is a terminal.
pub fn stderr_is_terminal() -> bool {
    CAPTURE
        .with(|c| c.borrow().as_ref().map(|c| c.stderr_terminal))
        .unwrap_or_else(|| std::io::stderr().is_terminal())
}

/// The first line of the command's standard input, without its line ending.
pub fn read_line() -> std::io::Result<String> {
    let given = CAPTURE.with(|c| c.borrow().as_ref().map(|c| c.stdin.clone()));
    let line = match given {
        Some(Some(text)) => text.lines().next().unwrap_or("").to_string(),
        Some(None) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "没有标准输入 (no standard input was passed)",
            ));
        }
        None => {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line)?;
            line
        }
    };
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The command's standard output as a byte writer (exports): bytes go straight to this process's output,
/// or, captured, as text cut at character boundaries.
#[derive(Debug, Default)]
pub struct Stdout {
    /// The start of a character split across two writes.
    pending: Vec<u8>,
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if CAPTURE.with(|c| c.borrow().is_none()) {
            return std::io::stdout().lock().write(buf);
        }
        self.pending.extend_from_slice(buf);
        let cut = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // An incomplete character at the end waits for the next write; invalid bytes are replaced.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let text: Vec<u8> = self.pending.drain(..cut).collect();
        if !text.is_empty() {
            out(format_args!("{}", String::from_utf8_lossy(&text)));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if CAPTURE.with(|c| c.borrow().is_none()) {
            return std::io::stdout().lock().flush();
        }
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            out(format_args!("{}", String::from_utf8_lossy(&rest)));
        }
        Ok(())
    }
}

/// `print!` through the console.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::console::out(format_args!($($arg)*)) };
}

/// `println!` through the console.
#[macro_export]
macro_rules! outln {
    () => { $crate::console::out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::console::out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprint!` through the console.
#[macro_export]
macro_rules! errout {
    ($($arg:tt)*) => { $crate::console::err(format_args!($($arg)*)) };
}

/// `eprintln!` through the console.
#[macro_export]
macro_rules! errln {
    () => { $crate::console::err(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::console::err(format_args!("{}\n", format_args!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn captured_output_goes_to_the_capture_in_order_and_only_on_its_thread() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        let stdin_line = capture(
            Capture {
                send: Box::new(move |p| sink.lock().unwrap().push(p)),
                stdout_terminal: true,
                stderr_terminal: false,
                stdin: Some("秘密\nrest".into()),
            },
            || {
                crate::outln!("一 {}", 1);
                crate::errout!("\r2 / 3");
                crate::out!("三");
                assert!(stdout_is_terminal());
                assert!(!stderr_is_terminal());
                read_line().unwrap()
            },
        );
        assert_eq!(stdin_line, "秘密");
        assert_eq!(
            *got.lock().unwrap(),
            vec![
                Piece::Out("一 1\n".into()),
                Piece::Err("\r2 / 3".into()),
                Piece::Out("三".into()),
            ]
        );
        // After the capture ends, nothing more reaches it.
        crate::errout!("");
        assert_eq!(got.lock().unwrap().len(), 3);
    }

    #[test]
    fn a_character_split_between_two_writes_arrives_whole() {
        let got = Arc::new(Mutex::new(String::new()));
        let sink = got.clone();
        capture(
            Capture {
                send: Box::new(move |p| {
                    if let Piece::Out(t) = p {
                        sink.lock().unwrap().push_str(&t);
                    }
                }),
                stdout_terminal: false,
                stderr_terminal: false,
                stdin: None,
            },
            || {
                let bytes = "预算,1\n".as_bytes();
                let mut w = Stdout::default();
                w.write_all(&bytes[..2]).unwrap();
                assert_eq!(*got.lock().unwrap(), "", "half a character is held back");
                w.write_all(&bytes[2..]).unwrap();
                w.flush().unwrap();
            },
        );
        assert_eq!(*got.lock().unwrap(), "预算,1\n");
    }

    #[test]
    fn a_captured_command_without_standard_input_gets_an_error_not_a_hang() {
        let r = capture(
            Capture {
                send: Box::new(|_| {}),
                stdout_terminal: false,
                stderr_terminal: false,
                stdin: None,
            },
            read_line,
        );
        assert!(r.is_err());
    }
}
