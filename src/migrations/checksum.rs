//! Checksums: the hex SHA-256 of a migration file's text, as the side table
//! records it when the file runs and as the planner, `check` and `accept`
//! compare it later (an applied file must not change). The same hash names
//! cache entries and local directories. A leaf: it depends on nothing else
//! in the crate.

use sha2::{Digest, Sha256};

/// Hex-encoded SHA-256 of a text.
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn is_the_hex_sha256_of_the_text() {
        assert_eq!(
            super::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
