//! Compile-fail tests: every macro mistake is a spanned compile error.

use std::path::PathBuf;

/// askama reads templates from `templates/` next to the `Cargo.toml` of the crate being
/// compiled; for these cases that is the crate trybuild generates in the target folder.
fn place_templates() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version=1", "--no-deps"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata JSON");
    let target = PathBuf::from(meta["target_directory"].as_str().expect("target_directory"));
    let dest = target.join("tests/trybuild/kiln-tests/templates");
    std::fs::create_dir_all(&dest).expect("create the templates folder");
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui/templates");
    for entry in std::fs::read_dir(&src).expect("ui/templates") {
        let path = entry.expect("template").path();
        std::fs::copy(&path, dest.join(path.file_name().expect("a file name")))
            .expect("copy a template");
    }
    // A migrations folder with a migration that lacks two of its files, for
    // `kiln::migrations!("ui_migrations")`.
    let broken = target.join("tests/trybuild/kiln-tests/ui_migrations/0001_broken");
    std::fs::create_dir_all(&broken).expect("create the migrations folder");
    std::fs::write(broken.join("sqlite.sql"), "CREATE TABLE x (id INTEGER);\n")
        .expect("write a migration file");
}

#[test]
fn compile_fail() {
    place_templates();
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*/*.rs");
}
