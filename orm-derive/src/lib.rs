//! `#[derive(Table)]` for kiln's ORM. Use it through `kiln::prelude::*`.
