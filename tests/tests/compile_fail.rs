//! Compile-fail tests: every macro mistake is a spanned compile error.
#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*/*.rs");
}
