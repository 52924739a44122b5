//! The app's own command line, [`App::cli`]: serve (no arguments), `routes`,
//! `makemigrations [NAME]`, `migrate`, `openapi`, `--help`. Parsed by clap.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::app::App;
use crate::error::{Error, Result};
use crate::launch::{Problem, ProblemKind};

fn command() -> clap::Command {
    use clap::{Arg, Command};
    let program = std::env::args().next().map_or_else(
        || "app".to_string(),
        |a| {
            std::path::Path::new(&a)
                .file_name()
                .map_or(a.clone(), |f| f.to_string_lossy().into_owned())
        },
    );
    Command::new("app")
        .bin_name(program)
        .about("Serves the app (with no command), or runs one of its commands.")
        .subcommand(
            Command::new("routes")
                .about("Prints the route table: method, path, handler, where defined"),
        )
        .subcommand(
            Command::new("makemigrations")
                .about(
                    "Writes the next migration from the models and the last migration's snapshot",
                )
                .arg(Arg::new("name").help("The migration's name (lowercase, digits, `_`)")),
        )
        .subcommand(Command::new("migrate").about("Applies the migrations not applied yet"))
        .subcommand(
            Command::new("openapi").about("Prints the OpenAPI 3.1 document of the routes (JSON)"),
        )
}

impl App {
    /// The models the app's database must hold, `(Author, Book)`: checked against the
    /// live schema when the app starts (`serve`, `run`), which stops with a message
    /// naming each missing table or column. `makemigrations` writes migrations for them.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub fn models<M: crate::orm::Models>(mut self) -> App {
        self.data.models = Some(crate::orm::Schema::of::<M>());
        self
    }

    /// The app's migrations, embedded with `kiln::migrations!()`, for `migrate`.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub fn migrations(mut self, migrations: &'static crate::orm::Migrations) -> App {
        self.data.migrations = Some(migrations);
        self
    }

    /// Where `makemigrations` writes: `kiln::relative!("migrations")` for the folder
    /// next to the crate's `Cargo.toml` (default: `migrations` in the working folder).
    pub fn migrations_dir(mut self, dir: impl Into<PathBuf>) -> App {
        self.data.migrations_dir = Some(dir.into());
        self
    }

    /// Runs the app's command line: with no arguments it serves (as
    /// [`run`](App::run)); `routes` prints the route table; `makemigrations [NAME]`
    /// writes the next migration; `migrate` applies the pending ones; `openapi` prints
    /// the OpenAPI document; `--help` lists them.
    pub async fn cli(self) -> Result<()> {
        self.cli_from(std::env::args_os()).await
    }

    /// [`cli`](App::cli) with these arguments (the first is the program's name).
    pub async fn cli_from<I, T>(self, args: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = match command().try_get_matches_from(args) {
            Ok(m) => m,
            Err(e) => {
                use clap::error::ErrorKind;
                // --help prints and succeeds; a wrong command says why and exits with
                // clap's usage status (2), as command lines do.
                return match e.kind() {
                    ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                        let _ = e.print();
                        Ok(())
                    }
                    _ => e.exit(),
                };
            }
        };
        match matches.subcommand() {
            None => self.run().await,
            Some(("routes", _)) => {
                print!("{}", self.route_table());
                Ok(())
            }
            Some(("openapi", _)) => {
                let doc = serde_json::to_string_pretty(&self.openapi_document())
                    .map_err(|e| Error::internal(e.to_string()))?;
                println!("{doc}");
                Ok(())
            }
            #[cfg(any(feature = "sqlite", feature = "postgres"))]
            Some(("makemigrations", sub)) => {
                let Some(models) = &self.data.models else {
                    return Err(missing(
                        "makemigrations needs the models: add `.models::<(A, B)>()` to the App",
                    ));
                };
                let name = sub.get_one::<String>("name").map(String::as_str);
                match crate::orm::make_migration(&self.data.dir(), name, models)? {
                    Some(folder) => println!("wrote {}", folder.display()),
                    None => println!("no changes: the models match the last migration"),
                }
                Ok(())
            }
            #[cfg(any(feature = "sqlite", feature = "postgres"))]
            Some(("migrate", _)) => {
                let Some(db) = &self.data.db else {
                    return Err(missing(
                        "migrate needs the database: add `.database(db)` to the App",
                    ));
                };
                let all = match self.data.migrations {
                    Some(embedded) => embedded.all()?,
                    None => crate::orm::read_migrations(&self.data.dir())?,
                };
                let done = db.migrate_all(&all).await?;
                if done.is_empty() {
                    println!("nothing to apply: {} migrations applied already", all.len());
                }
                for name in done {
                    println!("applied {name}");
                }
                Ok(())
            }
            Some((other, _)) => Err(missing(&format!("`{other}` needs kiln's ORM features"))),
        }
    }

    /// Checks the live schema against the models at start-up.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) async fn check_schema(&self) -> Result<()> {
        let (Some(db), Some(models)) = (&self.data.db, &self.data.models) else {
            return Ok(());
        };
        let differences = db.differences(models).await?;
        if differences.is_empty() {
            return Ok(());
        }
        let problems: Vec<Problem> = differences
            .iter()
            .map(|d| {
                Problem::new(
                    ProblemKind::Schema,
                    d.table.clone(),
                    None,
                    format!("{d}: run `migrate` (the app's command line) to apply the pending migrations"),
                )
            })
            .collect();
        Err(Error::launch(problems))
    }

    /// The route table, one line each: methods, full path, handler, where defined.
    pub(crate) fn route_table(&self) -> String {
        let rows: Vec<[String; 4]> = self
            .routes
            .iter()
            .map(|(prefix, def)| {
                let path = match (prefix.trim_end_matches('/'), def.path.as_ref()) {
                    ("", p) => p.to_string(),
                    (pre, "/") => pre.to_string(),
                    (pre, p) => format!("{pre}{p}"),
                };
                [
                    def.methods.to_string(),
                    path,
                    def.name.to_string(),
                    def.location.to_string(),
                ]
            })
            .collect();
        let mut widths = [6, 4, 7, 0];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        let mut out = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}\n",
            "METHOD",
            "PATH",
            "HANDLER",
            "DEFINED AT",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        for [m, p, h, l] in rows {
            out.push_str(&format!(
                "{m:w0$}  {p:w1$}  {h:w2$}  {l}\n",
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            ));
        }
        out
    }
}

fn missing(message: &str) -> Error {
    Error::launch(Problem::new(
        ProblemKind::Config,
        "command line",
        None,
        message.to_string(),
    ))
}
