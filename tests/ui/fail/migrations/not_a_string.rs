use kiln::prelude::*;

static MIGRATIONS: Migrations = kiln::migrations!(migrations);

fn main() {
    let _ = &MIGRATIONS;
}
