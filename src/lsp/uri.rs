//! `file://` URIs to paths and back (percent-encoding by hand: the only
//! scheme nmc's files come from is `file`).

use lsp_types::Uri;
use std::path::{Path, PathBuf};

/// The local path a `file://` URI names, or `None` for other schemes.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // Skip an authority (`file://localhost/...`).
    let path = &rest[rest.find('/')?..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let bytes = decode(path)?;
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

/// The `file://` URI of an absolute path.
pub fn from_path(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.parse().ok()
}

fn decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_spaces_and_non_ascii() {
        let p = Path::new("/tmp/my models/canal_sodié.mod");
        let uri = from_path(p).expect("uri");
        assert_eq!(uri.as_str(), "file:///tmp/my%20models/canal_sodi%C3%A9.mod");
        assert_eq!(to_path(&uri).as_deref(), Some(p));
    }

    #[test]
    fn other_schemes_have_no_path() {
        let uri: Uri = "untitled:Untitled-1".parse().expect("uri");
        assert_eq!(to_path(&uri), None);
        let uri: Uri = "file://localhost/a/b.mod".parse().expect("uri");
        assert_eq!(to_path(&uri), Some(PathBuf::from("/a/b.mod")));
    }
}
