use kiln::prelude::*;

static MIGRATIONS: Migrations = kiln::migrations!("ui_migrations");

fn main() {
    let _ = &MIGRATIONS;
}
