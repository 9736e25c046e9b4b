//! "Did you mean": the few migrations closest to a target that matched
//! none, by shared prefix first and then by edit distance, instead of the
//! whole list.

use crate::migrations::source::MigrationSet;

/// How many candidates an unknown target lists.
pub const CANDIDATES: usize = 5;

/// The indexes of the (at most [`CANDIDATES`]) migrations closest to
/// `wanted`, closest first. Versions are compared without dashes (a dashed
/// timestamp is a version), directory names and labels as typed.
pub fn closest(set: &MigrationSet, wanted: &str) -> Vec<usize> {
    let digits: String = wanted.chars().filter(|c| *c != '-').collect();
    let mut scored: Vec<(usize, usize, usize)> = set
        .all()
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let keys = [
                (m.version.as_str(), digits.as_str()),
                (m.dir_name.as_str(), wanted),
                (m.label(), wanted),
            ];
            let prefix = keys
                .iter()
                .map(|(key, w)| common_prefix(key, w))
                .max()
                .unwrap_or(0);
            let distance = keys
                .iter()
                .map(|(key, w)| strsim::levenshtein(key, w))
                .min()
                .unwrap_or(usize::MAX);
            (i, prefix, distance)
        })
        .collect();
    // Longest shared prefix first, then fewest edits, then newest.
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)).then(b.0.cmp(&a.0)));
    scored.into_iter().take(CANDIDATES).map(|s| s.0).collect()
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::source::MigrationScript;

    #[test]
    fn lists_the_five_closest() {
        let names = [
            "2025-01-01-000000_initial",
            "2025-02-01-000000_add_users",
            "2025-03-01-000000_add_user_email",
            "2025-04-01-000000_add_posts",
            "2025-05-01-000000_drop_legacy",
            "2025-06-01-000000_add_tags",
            "2025-07-01-000000_add_comments",
        ];
        let set = MigrationSet::from_scripts(
            names
                .iter()
                .map(|n| MigrationScript {
                    version: n.split('_').next().unwrap().replace('-', ""),
                    dir_name: n.to_string(),
                    up_sql: String::new(),
                    down_sql: None,
                    run_in_transaction: true,
                    up_sha256: String::new(),
                    down_sha256: None,
                })
                .collect(),
        )
        .unwrap();
        let found = closest(&set, "add_user_emial");
        assert_eq!(found.len(), 5);
        assert_eq!(found[0], 2);
        assert_eq!(closest(&set, "2025-04-02")[0], 3);
    }
}
