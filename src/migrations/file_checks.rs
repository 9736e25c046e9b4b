//! Odd migration files are input errors (exit 2) that name the file and say
//! what is wrong with it, never a hang, a crash or a misleading "check its
//! permissions": a FIFO, a device or a directory where `up.sql` should be,
//! bytes that are not UTF-8, a UTF-8 byte order mark, a NUL byte.

use crate::error::Error;
use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;

/// Opens `path` for reading without blocking (opening a FIFO with no writer
/// would otherwise wait forever) and fails with `InvalidInput` unless it is a
/// regular file (a FIFO, socket, device or directory). Symbolic links are
/// followed, as Diesel follows them.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let what = if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    };
    Err(std::io::Error::new(ErrorKind::InvalidInput, what))
}

/// The error for a file or folder that could not be read: the fix about
/// permissions only when permissions are the cause.
pub fn unreadable(path: &str, e: &std::io::Error) -> Error {
    let reason = match e.kind() {
        ErrorKind::PermissionDenied => {
            format!("cannot be read: {e}; fix: check its permissions")
        }
        ErrorKind::InvalidInput => {
            format!("is {e}, not a regular file; fix: replace it with a plain file holding the SQL")
        }
        ErrorKind::NotADirectory => "is inside something that is not a directory; fix: a \
             migrations folder holds one directory per migration: move the entry out of it"
            .to_string(),
        ErrorKind::IsADirectory => {
            "is a directory, not a file; fix: replace it with a plain file".to_string()
        }
        _ => format!("cannot be read: {e}"),
    };
    Error::InvalidMigration {
        path: path.to_string(),
        reason,
    }
}

/// The text of a file read into `bytes`, or the input error naming what is
/// wrong and where (the line, for a NUL byte or invalid UTF-8).
pub fn text_of(bytes: &[u8], path: &str) -> crate::error::Result<String> {
    let bad = |reason: String| Error::InvalidMigration {
        path: path.to_string(),
        reason,
    };
    let line_at = |offset: usize| bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(bad(
            "starts with a UTF-8 byte order mark (BOM), which is refused \
                        (PostgreSQL and diesel_cli would read it as part of the SQL); fix: \
                        save the file as UTF-8 without BOM"
                .to_string(),
        ));
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(bad(format!(
            "contains a NUL byte at line {} (offset {offset}); PostgreSQL cannot take one \
             and would see the SQL cut there; fix: remove it (the file may be binary or \
             UTF-16)",
            line_at(offset)
        )));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => Err(bad(format!(
            "not valid UTF-8 (first bad byte at line {}, offset {}); fix: save the file as \
             UTF-8",
            line_at(e.valid_up_to()),
            e.valid_up_to()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_nul_and_bad_utf8_name_the_problem() {
        let err = text_of(b"\xEF\xBB\xBFSELECT 1;", "m/up.sql").unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::BadInput);
        assert!(err.to_string().contains("byte order mark"), "{err}");
        let err = text_of(b"SELECT 1;\nSELECT\0 2;", "m/up.sql").unwrap_err();
        assert!(err.to_string().contains("NUL byte at line 2"), "{err}");
        let err = text_of(b"a\nb\nc\xff", "m/up.sql").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        assert_eq!(text_of(b"SELECT 1;", "x").unwrap(), "SELECT 1;");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("up.sql");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let err = open_regular(&fifo).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let shown = unreadable("m/up.sql", &err).to_string();
        assert!(
            shown.contains("FIFO") && !shown.contains("permissions"),
            "{shown}"
        );
        let err = open_regular(dir.path()).unwrap_err();
        assert!(unreadable("d", &err).to_string().contains("a directory"));
    }
}
