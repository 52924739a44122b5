//! Rebuilds when a migration is added, so `kiln::migrations!()` embeds it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
