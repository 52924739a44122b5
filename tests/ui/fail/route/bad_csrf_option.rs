use kiln::prelude::*;

#[post("/hooks/payment", csrf = "off")]
async fn payment_hook() -> &'static str {
    "ok"
}

fn main() {}
