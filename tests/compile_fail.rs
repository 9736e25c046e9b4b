//! Issue 6: the compile-time schema check at work. Each file under
//! `tests/compile_fail/` misuses `schema.rs` and must fail to compile with
//! the error recorded next to it (regenerate with TRYBUILD=overwrite).

#[test]
fn queries_and_models_that_disagree_with_the_schema_do_not_compile() {
    trybuild::TestCases::new().compile_fail("tests/compile_fail/*.rs");
}
