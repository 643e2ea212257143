//! Request heads that actix-http would refuse with an empty body get Lago's JSON error body.
//!
//! actix-http answers a head it cannot take (a request line or headers beyond its buffer,
//! a URI beyond the `http` crate's 64 KiB, a malformed request line) from its connection
//! dispatcher, below every middleware, with an empty 400 or 431. This guard runs first on
//! each new connection: it peeks (without consuming) at the first request head and, when
//! that head is larger than [`MAX_HEAD_BYTES`] or does not parse, answers
//! `431 {"status":431,"error":"Request Header Fields Too Large","code":"request_header_fields_too_large"}`
//! (`414 … "uri_too_long"` when the request line alone is too long) or
//! `400 {"status":400,"error":"BadRequest: invalid request head"}` itself and closes the
//! connection. Heads it accepts go to actix unchanged.
//!
//! Limit: only the first request of a connection is inspected; a later request of a
//! keep-alive connection with an oversized head still gets actix's empty answer.

use std::time::Duration;

use actix_web::http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::error::error_body;
use crate::lago::error_code::ErrorCode;

/// Largest request head (request line and headers) the gateway reads: 32 KiB, below
/// actix-http's 128 KiB buffer and the `http` crate's 64 KiB URI limit, so that every
/// oversized head is refused here, in Lago's shape.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;

/// How long the guard waits for a complete first head before leaving the connection to
/// actix (whose own request timeout then applies).
const HEAD_WAIT: Duration = Duration::from_secs(5);

/// Why a head is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadVerdict {
    /// Complete and parseable, or not complete yet within the limit: let actix take it.
    Pass,
    /// More than [`MAX_HEAD_BYTES`] before the end of the request line: 414.
    UriTooLong,
    /// More than [`MAX_HEAD_BYTES`] before the end of the headers: 431.
    TooLarge,
    /// A complete head that does not parse as HTTP/1.x: 400.
    Malformed,
}

/// Judges the bytes received so far on a new connection (`complete` when they contain the
/// end of the head or the peer stopped sending).
pub fn judge(bytes: &[u8]) -> (HeadVerdict, bool) {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n");
    match end {
        Some(end) if end + 4 <= MAX_HEAD_BYTES => {
            let head = &bytes[..end + 4];
            let mut headers = [httparse::EMPTY_HEADER; 128];
            let mut req = httparse::Request::new(&mut headers);
            let verdict = match req.parse(head) {
                Ok(httparse::Status::Complete(_)) => {
                    let uri_ok = req
                        .path
                        .is_some_and(|p| actix_web::http::Uri::try_from(p).is_ok());
                    if uri_ok {
                        HeadVerdict::Pass
                    } else {
                        HeadVerdict::Malformed
                    }
                }
                Err(httparse::Error::TooManyHeaders) => HeadVerdict::TooLarge,
                _ => HeadVerdict::Malformed,
            };
            (verdict, true)
        }
        _ if bytes.len() > MAX_HEAD_BYTES => {
            let line_end = bytes[..MAX_HEAD_BYTES]
                .windows(2)
                .position(|w| w == b"\r\n");
            let verdict = if line_end.is_none() {
                HeadVerdict::UriTooLong
            } else {
                HeadVerdict::TooLarge
            };
            (verdict, true)
        }
        _ => (HeadVerdict::Pass, false),
    }
}

/// The raw HTTP/1.1 response for a refused head, with Lago's JSON body.
pub fn response(verdict: HeadVerdict) -> Vec<u8> {
    let (status, body) = match verdict {
        HeadVerdict::UriTooLong => (
            StatusCode::URI_TOO_LONG,
            error_body(StatusCode::URI_TOO_LONG, Some(ErrorCode::UriTooLong), None),
        ),
        HeadVerdict::TooLarge => (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            error_body(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                Some(ErrorCode::RequestHeaderFieldsTooLarge),
                None,
            ),
        ),
        HeadVerdict::Malformed | HeadVerdict::Pass => (
            StatusCode::BAD_REQUEST,
            serde_json::json!({"status": 400, "error": "BadRequest: invalid request head"}),
        ),
    };
    let body = body.to_string();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
        body
    )
    .into_bytes()
}

/// Inspects the first request head of `stream` (see the module doc). `Ok(stream)` hands the
/// untouched connection on to actix; `Err` means the guard answered and closed it.
///
/// # Errors
/// An I/O error, or the refusal it already sent.
pub async fn guard(stream: TcpStream) -> Result<TcpStream, std::io::Error> {
    let mut buf = vec![0u8; MAX_HEAD_BYTES + 1];
    let deadline = tokio::time::Instant::now() + HEAD_WAIT;
    let mut pause = Duration::from_millis(1);
    let mut seen = 0;
    let verdict = loop {
        let n = match tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(e),
            Err(_) => return Ok(stream),
        };
        if n == 0 {
            return Ok(stream);
        }
        let (verdict, complete) = judge(&buf[..n]);
        if complete {
            break verdict;
        }
        // Partial head: wait for more bytes (peek returns at once while any are buffered).
        if n == seen {
            if tokio::time::Instant::now() + pause > deadline {
                return Ok(stream);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        } else {
            seen = n;
            pause = Duration::from_millis(1);
        }
    };
    if verdict == HeadVerdict::Pass {
        return Ok(stream);
    }
    refuse(stream, verdict).await?;
    Err(std::io::Error::other("request head refused"))
}

/// Sends the refusal, then reads and drops what the client still sends (bounded) so that
/// closing does not reset the connection before the client has read the answer.
async fn refuse(mut stream: TcpStream, verdict: HeadVerdict) -> std::io::Result<()> {
    stream.write_all(&response(verdict)).await?;
    stream.flush().await?;
    stream.shutdown().await?;
    let mut sink = vec![0u8; 16 * 1024];
    let mut drained = 0usize;
    let until = tokio::time::Instant::now() + Duration::from_secs(1);
    while drained < 4 * 1024 * 1024 {
        match tokio::time::timeout_at(until, stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert_eq!(
            judge(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"),
            (HeadVerdict::Pass, true)
        );
        assert_eq!(
            judge(b"GET /a HTTP/1.1\r\nHost"),
            (HeadVerdict::Pass, false)
        );
        let long_path = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(100_000));
        assert_eq!(judge(long_path.as_bytes()), (HeadVerdict::UriTooLong, true));
        let long_header = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(40_000));
        assert_eq!(judge(long_header.as_bytes()), (HeadVerdict::TooLarge, true));
        assert_eq!(
            judge(b"GET /a b HTTP/1.1\r\n\r\n"),
            (HeadVerdict::Malformed, true)
        );
        let text = String::from_utf8(response(HeadVerdict::TooLarge)).unwrap();
        assert!(text.starts_with("HTTP/1.1 431 "));
        let body: serde_json::Value =
            serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"status": 431, "error": "Request Header Fields Too Large",
                               "code": "request_header_fields_too_large"})
        );
    }
}
