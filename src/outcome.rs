//! How a command ended, and the one place where that becomes the process's
//! exit code (the contract in docs/commands.md): 0 success, 1 a failure, 2 bad input or
//! set-up, 3 findings (`check`, `verify`, `lint`, the lint gate), 4 the
//! migration lock not obtained in time.

use ragchat_migrate::error::{Error, ErrorKind, Result};

/// A command that ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done, nothing found wrong.
    Success,
    /// It ran and found problems the caller must act on: `check` not clean,
    /// `verify` failed, `lint` error-level findings.
    Findings,
    /// `lint` could not parse a migration file.
    Unparsable,
}

impl Outcome {
    /// [`Outcome::Findings`] when `clean` is false, else success.
    pub fn clean_if(clean: bool) -> Self {
        if clean {
            Outcome::Success
        } else {
            Outcome::Findings
        }
    }
}

/// A run cut short where no result can travel back to `main`: output
/// written into a closed pipe, or an output that cannot be written at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abrupt {
    /// The reader of stdout went away (`| head -1`): it has what it wanted.
    ReaderGone,
    /// stdout or stderr cannot be written (closed, disk full).
    CannotPrint,
}

/// Ends the process now, for an [`Abrupt`] ending.
pub fn exit_now(ending: Abrupt) -> ! {
    std::process::exit(match ending {
        Abrupt::ReaderGone => 0,
        Abrupt::CannotPrint => 1,
    })
}

/// The exit code of a command's result.
pub fn exit_code(result: &Result<Outcome>) -> u8 {
    match result {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::Findings) => 3,
        Ok(Outcome::Unparsable) => 2,
        Err(error) => error_code(error),
    }
}

/// The exit code of a failure, by its kind.
fn error_code(error: &Error) -> u8 {
    match error.kind() {
        ErrorKind::Failure => 1,
        ErrorKind::BadInput => 2,
        ErrorKind::Findings => 3,
        ErrorKind::LockTimeout => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_ending_has_the_contract_code() {
        assert_eq!(exit_code(&Ok(Outcome::Success)), 0);
        assert_eq!(exit_code(&Ok(Outcome::Findings)), 3);
        assert_eq!(exit_code(&Ok(Outcome::Unparsable)), 2);
        let failure = Error::Internal("x".into());
        assert_eq!(exit_code(&Err(failure)), 1);
        assert_eq!(exit_code(&Err(Error::Usage("bad flag".into()))), 2);
        assert_eq!(exit_code(&Err(Error::LintRefused("x".into()))), 3);
        let waited = Duration::from_secs(1);
        let timeout = Error::LockTimeout {
            waited,
            holder: None,
        };
        assert_eq!(exit_code(&Err(timeout)), 4);
    }
}
