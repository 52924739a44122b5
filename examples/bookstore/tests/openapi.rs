//! The bookstore's OpenAPI document, as the real binary serves it: valid OpenAPI 3.1
//! by `openapi-spec-validator`, the same as the `openapi` command prints, and true to
//! the JSON API by `schemathesis`, which sends the API what the document allows (and
//! what it does not) and checks every answer against it. Both tools come from PyPI
//! (`scripts/pytools.sh`, which the test command runs): `KILN_TEST_PYTOOLS` names
//! their bin folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use testkit::{Http, Served, service};

const BINARY: &str = env!("CARGO_BIN_EXE_bookstore");

/// The Python tools' folder, or `None` (said) outside CI without it.
fn tools() -> Option<PathBuf> {
    service(
        "KILN_TEST_PYTOOLS",
        "openapi-spec-validator and schemathesis",
        "run `bash scripts/pytools.sh` and export KILN_TEST_PYTOOLS=<the folder it prints>",
    )
    .map(PathBuf::from)
}

/// The binary on a fresh SQLite file in `dir`.
fn start(dir: &Path) -> Served {
    let db = format!("sqlite://{}", dir.join("bookstore.db").display());
    Served::start(BINARY, &[("DATABASE_URL", &db)])
}

fn said(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_valid_openapi_and_what_the_command_prints() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let app = start(dir.path());
    let served = Http::new().get(&app.url("/openapi.json")).await;
    assert_eq!(served.status, 200);
    let doc: serde_json::Value = serde_json::from_str(&served.body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "bookstore");
    for path in ["/api/books", "/api/books/{id}"] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert_eq!(
        doc["paths"]["/api/books"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/NewBook"
    );

    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &served.body).unwrap();
    let out = Command::new(tools.join("openapi-spec-validator"))
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator");
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains(": OK"), "{}", said(&out));

    // `bookstore openapi` prints the same document, without serving.
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let out = Command::new(BINARY)
        .arg("openapi")
        .env("DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, doc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_the_api_true_to_its_document() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let app = start(dir.path());
    // Every check but `positive_data_acceptance`: the rules the schema cannot say (an
    // ISBN's digits, a taken ISBN) refuse some schema-valid books, with the 422 the
    // document lists. A 5xx, an undocumented status, content type or header, or a
    // body that does not match its schema fails the run.
    let out = Command::new(tools.join("schemathesis"))
        .current_dir(dir.path())
        .args(["run", &app.url("/openapi.json")])
        .args(["--include-path-regex", "^/api/"])
        .args(["--checks", "all"])
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args([
            "--max-examples",
            "60",
            "--workers",
            "1",
            "--seed",
            "20261202",
        ])
        .args(["--request-timeout", "10", "--max-failures", "20"])
        .env("SCHEMATHESIS_HOOKS", "")
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let report = said(&out);
    println!("{report}");
    assert!(out.status.success(), "schemathesis failed:\n{report}");
    // It did test the API: every JSON operation, and many cases.
    assert!(report.contains("Tested: 5"), "{report}");
    let generated: u32 = report
        .split_whitespace()
        .zip(report.split_whitespace().skip(1))
        .find(|(_, w)| *w == "generated,")
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0);
    assert!(generated >= 200, "only {generated} cases:\n{report}");
    let log = app.log();
    assert!(!log.contains("ERROR") && !log.contains("panicked"), "{log}");
}
