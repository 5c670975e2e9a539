//! The LSP wire format over a byte stream: `Content-Length` headers, a
//! blank line, a JSON body. Unlike lsp-server's own reader this one never
//! gives up on bad input: garbage between messages is skipped until the
//! next `Content-Length` header, and a body that is not JSON is handed up
//! as [`Frame::Invalid`] so the server can answer with a parse error.

use std::io::{self, BufRead, Read, Write};

/// Largest body accepted; a larger Content-Length is answered with an error.
pub const MAX_BODY: usize = 64 << 20;

/// Longest header line kept; longer lines are garbage.
const MAX_LINE: u64 = 8 << 10;

/// One thing read from the stream.
#[derive(Debug)]
pub enum Frame {
    /// A JSON body.
    Json(serde_json::Value),
    /// A body that is not JSON (or too large), with the reason.
    Invalid(String),
}

/// Reads the next frame; `Ok(None)` at the end of the stream.
pub fn read_frame(r: &mut impl BufRead) -> io::Result<Option<Frame>> {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        let n = r.by_ref().take(MAX_LINE).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        if !line.ends_with(b"\n") && n as u64 == MAX_LINE {
            // An over-long line: drop the rest of it.
            skip_line(r)?;
            length = None;
            saw_header = false;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            if let Some(len) = length {
                return read_body(r, len).map(Some);
            }
            if saw_header {
                // Headers without a Content-Length: nothing to read; resync.
                saw_header = false;
            }
            continue;
        }
        // A header may follow garbage on the same line (a body shorter
        // than its Content-Length said): look for the name anywhere.
        if let Some(at) = find_ci(text, "content-length:") {
            let value = text[at + "content-length:".len()..].trim();
            length = value.parse::<usize>().ok();
            saw_header = length.is_some();
        } else if saw_header && text.contains(':') {
            // Another header (Content-Type): ignored.
        } else {
            length = None;
            saw_header = false;
        }
    }
}

/// Writes one message with its header.
pub fn write_message(w: &mut impl Write, body: &serde_json::Value) -> io::Result<()> {
    let text = serde_json::to_string(body).map_err(io::Error::other)?;
    write!(w, "Content-Length: {}\r\n\r\n{}", text.len(), text)?;
    w.flush()
}

fn read_body(r: &mut impl BufRead, len: usize) -> io::Result<Frame> {
    if len > MAX_BODY {
        // Not skipped: a wrong length would swallow every later message.
        // What follows is read as garbage until the next header.
        return Ok(Frame::Invalid(format!(
            "a message of {len} bytes is larger than the {MAX_BODY}-byte limit"
        )));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(match serde_json::from_slice(&body) {
        Ok(v) => Frame::Json(v),
        Err(e) => Frame::Invalid(format!("the message is not valid JSON: {e}")),
    })
}

fn skip_line(r: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            r.consume(i + 1);
            return Ok(());
        }
        let n = buf.len();
        r.consume(n);
    }
}

/// Byte index of `needle` (ASCII, lower case) in `hay`, ignoring case.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn frames(input: &[u8]) -> Vec<String> {
        let mut r = Cursor::new(input.to_vec());
        let mut out = Vec::new();
        while let Ok(Some(f)) = read_frame(&mut r) {
            out.push(match f {
                Frame::Json(v) => v.to_string(),
                Frame::Invalid(_) => "invalid".to_string(),
            });
        }
        out
    }

    #[test]
    fn reads_consecutive_messages() {
        let input =
            b"Content-Length: 7\r\n\r\n{\"a\":1}Content-Length: 2\r\nContent-Type: x\r\n\r\n[]";
        assert_eq!(frames(input), vec!["{\"a\":1}", "[]"]);
    }

    #[test]
    fn resyncs_after_garbage_and_bad_json() {
        let input = b"garbage\r\n\r\nContent-Length: 3\r\n\r\n{x}Content-Length: zz\r\n\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(frames(input), vec!["invalid", "{}"]);
    }

    #[test]
    fn short_length_leaves_rest_as_garbage_before_next_header() {
        // The first header claims 3 bytes of a longer body; the rest of that
        // body shares a line with the next header.
        let input = b"Content-Length: 3\r\n\r\n{\"a\":1}Content-Length: 2\r\n\r\n{}";
        assert_eq!(frames(input), vec!["invalid", "{}"]);
    }

    #[test]
    fn huge_length_does_not_swallow_later_messages() {
        let input = b"Content-Length: 99999999999\r\n\r\n{}\r\nContent-Length: 2\r\n\r\n[]";
        assert_eq!(frames(input), vec!["invalid", "[]"]);
    }

    #[test]
    fn truncated_body_ends_the_stream() {
        let input = b"Content-Length: 50\r\n\r\n{\"a\"";
        assert!(frames(input).is_empty());
    }
}
