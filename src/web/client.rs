//! A minimal HTTP/1.1 client for the command line's calls to a running server (backups, load benchmarks):
//! one request per connection, `http://host:port` only; answers read whole, or line by line as they stream.

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// An answer: its status and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
}

/// Connects to `server` (`http://host:port`) and sends one request (`Connection: close`); the answer is
/// left to read. Without a timeout, reads and writes wait as long as the server takes.
fn send(
    server: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Option<Duration>,
) -> Result<TcpStream> {
    let host = server
        .trim_end_matches('/')
        .strip_prefix("http://")
        .ok_or_else(|| {
            Error::Invalid(format!(
                "the server address must be http://host:port, not {server}"
            ))
        })?;
    let io = |e: std::io::Error| Error::io(server, e);
    let mut stream = TcpStream::connect(host).map_err(io)?;
    stream.set_read_timeout(timeout).map_err(io)?;
    stream.set_write_timeout(timeout).map_err(io)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(body).map_err(io)?;
    Ok(stream)
}

/// Sends one request to `server` (`http://host:port`) and reads the whole answer.
pub fn request(
    server: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<Reply> {
    let io = |e: std::io::Error| Error::io(server, e);
    let mut stream = send(server, method, path, headers, body, Some(timeout))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(io)?;
    parse_reply(&raw)
        .ok_or_else(|| Error::Invalid(format!("{server} answered something that is not HTTP")))
}

/// Sends one request and hands each line of a streamed answer to `on_line` as it arrives (the answer of a
/// command the server runs for a command line). An answer other than 200 is read whole and returned as an
/// error reply instead. No read timeout: a command may run for hours, and the server ends the answer.
pub fn request_lines(
    server: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
    on_line: &mut dyn FnMut(&str),
) -> Result<std::result::Result<(), Reply>> {
    use std::io::BufRead;
    let io = |e: std::io::Error| Error::io(server, e);
    let stream = send(server, "POST", path, headers, body, None)?;
    let mut reader = std::io::BufReader::new(stream);
    let not_http = || Error::Invalid(format!("{server} answered something that is not HTTP"));
    let mut status_line = String::new();
    reader.read_line(&mut status_line).map_err(io)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(not_http)?;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(io)? == 0 {
            return Err(not_http());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        chunked |= line
            .to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked");
    }
    if status != 200 || !chunked {
        let mut raw = Vec::new();
        reader.read_to_end(&mut raw).map_err(io)?;
        let body = if chunked {
            let mut framed = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            framed.extend_from_slice(&raw);
            parse_reply(&framed).map(|r| r.body).unwrap_or(raw)
        } else {
            raw
        };
        let reply = Reply { status, body };
        if status != 200 {
            return Ok(Err(reply));
        }
        for line in reply.text().lines() {
            on_line(line);
        }
        return Ok(Ok(()));
    }
    // Chunks, each split into lines; a line may span chunks.
    let mut partial: Vec<u8> = Vec::new();
    loop {
        let mut size_line = String::new();
        if reader.read_line(&mut size_line).map_err(io)? == 0 {
            break;
        }
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or(""), 16)
            .map_err(|_| not_http())?;
        if size == 0 {
            break;
        }
        let mut chunk = vec![0; size];
        reader.read_exact(&mut chunk).map_err(io)?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf).map_err(io)?;
        partial.extend_from_slice(&chunk);
        while let Some(end) = partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = partial.drain(..=end).collect();
            on_line(String::from_utf8_lossy(&line[..end]).as_ref());
        }
    }
    if !partial.is_empty() {
        on_line(String::from_utf8_lossy(&partial).as_ref());
    }
    Ok(Ok(()))
}

fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let rest = &raw[split + 4..];
    let status = head.split_whitespace().nth(1)?.parse::<u16>().ok()?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        let mut out = Vec::new();
        let mut rest = rest;
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..line_end]).trim(), 16)
                .ok()?;
            rest = &rest[line_end + 2..];
            if size == 0 || rest.len() < size {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = rest.get(size + 2..).unwrap_or_default();
        }
        out
    } else {
        rest.to_vec()
    };
    Some(Reply { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_chunked_answers() {
        let r = parse_reply(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok").unwrap();
        assert_eq!((r.status, r.text().as_str()), (201, "ok"));
        let r = parse_reply(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap();
        assert_eq!(r.text(), "abcde");
        assert!(parse_reply(b"garbage").is_none());
    }
}
