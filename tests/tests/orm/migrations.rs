//! Migrations diffed from the derives, applied on each backend: every kind of change
//! keeps the rows there are, `verify` fails before and passes after, and the changes
//! that can't be made safely are refused naming the column.

use kiln::orm::{Backend, Migration, Schema};
use kiln::prelude::*;

use crate::{backend_tests, fail};

/// The first version of the models.
mod v1 {
    use kiln::prelude::*;

    #[derive(Table, Debug, Clone)]
    #[table(name = "author")]
    pub struct Author {
        pub id: Id<Author>,
        pub name: String,
        pub nickname: Option<String>,
    }

    #[derive(Table, Debug, Clone)]
    #[table(name = "book")]
    pub struct Book {
        pub id: Id<Book>,
        pub title: String,
        pub author: ForeignKey<Author>,
    }
}

/// `name` renamed to `full_name`, `born` added with a default, `nickname` now NOT
/// NULL with a default, `country` added as NULL, `name` indexed... on `author`;
/// `book.isbn` added, unique, with a default.
mod v2 {
    use kiln::prelude::*;

    #[derive(Table, Debug, Clone)]
    #[table(name = "author")]
    pub struct Author {
        pub id: Id<Author>,
        #[column(renamed_from = "name", index)]
        pub full_name: String,
        #[column(default = "")]
        pub nickname: String,
        #[column(default = 0)]
        pub born: i64,
        pub country: Option<String>,
    }

    #[derive(Table, Debug, Clone)]
    #[table(name = "book")]
    pub struct Book {
        pub id: Id<Book>,
        pub title: String,
        pub author: ForeignKey<Author>,
        #[column(default = "unknown")]
        pub isbn: String,
    }
}

/// `author` renamed to `writer` (the foreign key follows), `country` dropped, the
/// index dropped, `book.isbn` made unique.
mod v3 {
    use kiln::prelude::*;

    #[derive(Table, Debug, Clone)]
    #[table(name = "writer", renamed_from = "author")]
    pub struct Writer {
        pub id: Id<Writer>,
        pub full_name: String,
        pub nickname: String,
        pub born: i64,
    }

    #[derive(Table, Debug, Clone)]
    #[table(name = "book")]
    pub struct Book {
        pub id: Id<Book>,
        pub title: String,
        pub author: ForeignKey<Writer>,
        #[column(default = "unknown", unique)]
        pub isbn: String,
    }
}

/// `book` dropped and `edition` created, a default changed, a self-referencing foreign
/// key added.
mod v4 {
    use kiln::prelude::*;

    #[derive(Table, Debug, Clone)]
    #[table(name = "writer")]
    pub struct Writer {
        pub id: Id<Writer>,
        pub full_name: String,
        #[column(default = "none")]
        pub nickname: String,
        pub born: i64,
        pub mentor: Option<ForeignKey<Writer>>,
    }

    #[derive(Table, Debug, Clone)]
    #[table(name = "edition")]
    pub struct Edition {
        pub id: Id<Edition>,
        pub isbn: String,
    }
}

/// Changes that can't be made safely.
mod refused {
    use kiln::prelude::*;

    #[derive(Table, Debug, Clone)]
    #[table(name = "author")]
    pub struct NewNotNull {
        pub id: Id<NewNotNull>,
        pub name: String,
        pub nickname: Option<String>,
        pub born: i64,
    }

    #[derive(Table, Debug, Clone)]
    #[table(name = "author")]
    pub struct TypeChange {
        pub id: Id<TypeChange>,
        pub name: i64,
        pub nickname: Option<String>,
    }
}

backend_tests! {
    /// Every kind of change, in three migrations, with rows kept at each step.
    async fn changes_keep_the_rows(db: Database, kind: Kind) -> TestResult {
        let s1 = Schema::of::<(v1::Author, v1::Book)>();
        let m1 = Migration::between("0001_init", &Schema::empty(), &s1)?;
        assert!(db.verify::<(v1::Author, v1::Book)>().await.is_err(), "no tables yet");
        db.apply(&m1).await?;
        db.verify::<(v1::Author, v1::Book)>().await?;
        let mut kay = v1::Author { id: Id::new(), name: "Kay".into(), nickname: None };
        db.save(&mut kay).await?;
        let mut ann = v1::Author { id: Id::new(), name: "Ann".into(), nickname: Some("A".into()) };
        db.save(&mut ann).await?;
        let mut book = v1::Book { id: Id::new(), title: "Rust".into(), author: ForeignKey::to(&kay) };
        db.save(&mut book).await?;

        let s2 = Schema::of::<(v2::Author, v2::Book)>();
        let m2 = Migration::between("0002_more", &s1, &s2)?;
        let err = db.verify::<(v2::Author, v2::Book)>().await.unwrap_err().to_string();
        if !err.contains("column `full_name`") || !err.contains("migrate") {
            fail!("verify before 0002: {err}");
        }
        db.apply(&m2).await?;
        db.verify::<(v2::Author, v2::Book)>().await?;
        let authors = db.all::<v2::Author>().await?;
        let names: Vec<(&str, &str, i64, Option<&str>)> = authors
            .iter()
            .map(|a| (a.full_name.as_str(), a.nickname.as_str(), a.born, a.country.as_deref()))
            .collect();
        // The renamed column kept its values, the default filled the old rows, the
        // NULL nickname became the default.
        if names != [("Kay", "", 0, None), ("Ann", "A", 0, None)] {
            fail!("{kind:?}: authors after 0002: {names:?}");
        }
        let books = db.all::<v2::Book>().await?;
        if books.len() != 1 || books[0].isbn != "unknown" {
            fail!("{kind:?}: books after 0002: {books:?}");
        }
        // The foreign key still joins.
        if books[0].author.get().map(|a| a.full_name.as_str()) != Some("Kay") {
            fail!("{kind:?}: the key no longer joins: {books:?}");
        }

        let s3 = Schema::of::<(v3::Writer, v3::Book)>();
        let m3 = Migration::between("0003_writer", &s2, &s3)?;
        db.apply(&m3).await?;
        db.verify::<(v3::Writer, v3::Book)>().await?;
        let tables = db.tables().await?;
        if tables.contains(&"author".to_string()) || !tables.contains(&"writer".to_string()) {
            fail!("{kind:?}: tables after 0003: {tables:?}");
        }
        let books = db.all::<v3::Book>().await?;
        if books[0].author.get().map(|w| w.full_name.as_str()) != Some("Kay") {
            fail!("{kind:?}: the key no longer joins after the rename: {books:?}");
        }
        let writers = db.all::<v3::Writer>().await?;
        if writers.len() != 2 || writers[1].nickname != "A" {
            fail!("{kind:?}: writers: {writers:?}");
        }
        // The key is still enforced: a book of a writer that does not exist is refused.
        let ghost = v3::Book {
            id: Id::new(),
            title: "Ghost".into(),
            author: ForeignKey::from_id(Id::from(99)),
            isbn: "x".into(),
        };
        if db.save(&mut ghost.clone()).await.is_ok() {
            fail!("{kind:?}: a key to no writer was saved");
        }
        // And `isbn` is unique now.
        let twin = v3::Book {
            id: Id::new(),
            title: "Twin".into(),
            author: ForeignKey::to(&writers[0]),
            isbn: "unknown".into(),
        };
        if db.save(&mut twin.clone()).await.is_ok() {
            fail!("{kind:?}: a second `unknown` isbn was saved");
        }

        // 0004: a table dropped and one created, a default changed, a key added.
        let s4 = Schema::of::<(v4::Writer, v4::Edition)>();
        let m4 = Migration::between("0004_drop", &s3, &s4)?;
        db.apply(&m4).await?;
        db.verify::<(v4::Writer, v4::Edition)>().await?;
        let tables = db.tables().await?;
        if tables.contains(&"book".to_string()) || !tables.contains(&"edition".to_string()) {
            fail!("{kind:?}: tables after 0004: {tables:?}");
        }
        let writers = db.all::<v4::Writer>().await?;
        if writers.len() != 2 || writers[0].full_name != "Kay" || writers[0].mentor.is_some() {
            fail!("{kind:?}: writers after 0004: {writers:?}");
        }
        let mut pupil = writers[1].clone();
        pupil.mentor = Some(ForeignKey::to(&writers[0]));
        db.update(&pupil).await?;
        let again = db.find::<v4::Writer>(pupil.id).await?;
        if again.mentor.as_ref().and_then(|m| m.get()).map(|m| m.full_name.as_str()) != Some("Kay") {
            fail!("{kind:?}: the new key does not join: {again:?}");
        }
        let mut orphan = writers[0].clone();
        orphan.mentor = Some(ForeignKey::from_id(Id::from(99)));
        if db.update(&orphan).await.is_ok() {
            fail!("{kind:?}: a key to no writer was saved");
        }

        if db.applied().await? != ["0001_init", "0002_more", "0003_writer", "0004_drop"] {
            fail!("{kind:?}: applied: {:?}", db.applied().await?);
        }
        // Applying one twice is refused.
        if db.apply(&m3).await.is_ok() {
            fail!("{kind:?}: 0003 applied twice");
        }
        let pg = m4.sql(Backend::Postgres).join(";\n");
        if !pg.contains(r#"DROP TABLE "book""#) || !pg.contains(r#"SET DEFAULT 'none'"#) {
            fail!("{pg}");
        }
        Ok(())
    }

    /// A migration that fails leaves nothing half done, and is not recorded.
    async fn a_failing_migration_changes_nothing(db: Database, kind: Kind) -> TestResult {
        let s1 = Schema::of::<(v1::Author, v1::Book)>();
        db.apply(&Migration::between("0001_init", &Schema::empty(), &s1)?).await?;
        let broken = Migration::from_parts(
            "0002_broken",
            "ALTER TABLE \"author\" ADD COLUMN \"x\" TEXT;\nTHIS IS NOT SQL;\n",
            "ALTER TABLE \"author\" ADD COLUMN \"x\" TEXT;\nTHIS IS NOT SQL;\n",
            Schema::empty(),
        );
        if db.apply(&broken).await.is_ok() {
            fail!("{kind:?}: a broken migration applied");
        }
        if db.applied().await? != ["0001_init"] {
            fail!("{kind:?}: applied: {:?}", db.applied().await?);
        }
        // The first statement was rolled back with the rest.
        let s_x = db.differences(&s1).await?;
        if !s_x.is_empty() {
            fail!("{kind:?}: {s_x:?}");
        }
        db.save(&mut v1::Author { id: Id::new(), name: "Still".into(), nickname: None }).await?;
        Ok(())
    }
}

#[test]
fn unsafe_changes_are_refused_naming_the_column() {
    let s1 = Schema::of::<(v1::Author,)>();
    let err = Migration::between("x", &s1, &Schema::of::<(refused::NewNotNull,)>()).unwrap_err();
    assert_eq!(
        (err.table.as_str(), err.column.as_deref()),
        ("author", Some("born"))
    );
    assert!(err.to_string().contains("#[column(default = ..)]"), "{err}");
    let err = Migration::between("x", &s1, &Schema::of::<(refused::TypeChange,)>()).unwrap_err();
    assert_eq!(err.column.as_deref(), Some("name"));
    assert!(err.to_string().contains("type"), "{err}");
}

#[test]
fn the_sql_of_each_backend() {
    let s1 = Schema::of::<(v1::Author, v1::Book)>();
    let s2 = Schema::of::<(v2::Author, v2::Book)>();
    let m = Migration::between("0002", &s1, &s2).unwrap();
    let pg = m.sql(Backend::Postgres).join(";\n");
    assert!(
        pg.contains(r#"ALTER TABLE "author" RENAME COLUMN "name" TO "full_name""#),
        "{pg}"
    );
    assert!(
        pg.contains(r#"ADD COLUMN "born" BIGINT NOT NULL DEFAULT 0"#),
        "{pg}"
    );
    assert!(
        pg.contains(r#"UPDATE "author" SET "nickname" = '' WHERE "nickname" IS NULL"#),
        "{pg}"
    );
    assert!(
        pg.contains(r#"CREATE INDEX "author_full_name_idx""#),
        "{pg}"
    );
    let lite = m.sql(Backend::Sqlite).join(";\n");
    // SQLite can't make a column NOT NULL in place: the table is rebuilt.
    assert!(
        lite.contains(r#"CREATE TABLE "_kiln_new_author""#),
        "{lite}"
    );
    assert!(
        lite.contains(r#"SELECT "id", "name", COALESCE("nickname", ''), 0, NULL FROM "author""#),
        "{lite}"
    );
    assert!(
        lite.contains(r#"ALTER TABLE "_kiln_new_author" RENAME TO "author""#),
        "{lite}"
    );
    // The snapshot round-trips, without the rename hints.
    let json = serde_json::to_string(m.schema()).unwrap();
    assert!(!json.contains("renamed_from"), "{json}");
    let back: Schema = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, m.schema());
    // Nothing changed: an empty migration.
    assert!(Migration::between("same", &s2, &back).unwrap().is_empty());
}

backend_tests! {
    /// An app whose table lacks a column does not start, and says which.
    async fn an_app_missing_a_column_does_not_start(db: Database, kind: Kind) -> TestResult {
        let s1 = Schema::of::<(v1::Author, v1::Book)>();
        db.apply(&Migration::between("0001_init", &Schema::empty(), &s1)?).await?;
        let app = App::new()
            .database(db.clone())
            .models::<(v2::Author, v2::Book)>();
        let Err(e) = app.bind("127.0.0.1:0").await else {
            fail!("{kind:?}: the app started");
        };
        let text = e.to_string();
        for needed in ["table `author` has no column `full_name`", "column `born`", "table `book` has no column `isbn`", "migrate"] {
            if !text.contains(needed) {
                fail!("{kind:?}: `{needed}` not in: {text}");
            }
        }
        // Once migrated, it starts.
        db.apply(&Migration::between("0002", &s1, &Schema::of::<(v2::Author, v2::Book)>())?).await?;
        let app = App::new().database(db.clone()).models::<(v2::Author, v2::Book)>();
        if let Err(e) = app.bind("127.0.0.1:0").await {
            fail!("{kind:?}: migrated, it still does not start: {e}");
        }
        Ok(())
    }

    /// `makemigrations` twice on a changed model set: one new migration, then none;
    /// `migrate` applies what is pending, and a changed file is caught.
    async fn makemigrations_then_migrate(db: Database, kind: Kind) -> TestResult {
        let dir = crate::support::temp_dir(&format!("makemigrations-{kind:?}"));
        let first = kiln::orm::make_migration(&dir, None, &Schema::of::<(v1::Author, v1::Book)>())?;
        if first.as_deref() != Some(dir.join("0001_init").as_path()) {
            fail!("{first:?}");
        }
        let v2 = Schema::of::<(v2::Author, v2::Book)>();
        let app = App::new().models::<(v2::Author, v2::Book)>().migrations_dir(&dir);
        app.cli_from(["app", "makemigrations", "more"]).await?;
        if !dir.join("0002_more/sqlite.sql").is_file() {
            fail!("no 0002_more");
        }
        if kiln::orm::make_migration(&dir, Some("again"), &v2)?.is_some() {
            fail!("a second migration for no change");
        }
        let all = kiln::orm::read_migrations(&dir)?;
        if all.iter().map(|m| m.name()).collect::<Vec<_>>() != ["0001_init", "0002_more"] {
            fail!("{:?}", all.iter().map(|m| m.name()).collect::<Vec<_>>());
        }
        let app = App::new().database(db.clone()).migrations_dir(&dir);
        app.cli_from(["app", "migrate"]).await?;
        db.verify::<(v2::Author, v2::Book)>().await?;
        if db.migrate_all(&all).await? != Vec::<String>::new() {
            fail!("applied twice");
        }
        // An applied migration edited afterwards is refused.
        let file = dir.join("0002_more").join(match kind {
            Kind::Postgres => "postgres.sql",
            _ => "sqlite.sql",
        });
        let text = std::fs::read_to_string(&file)?;
        std::fs::write(&file, text + "SELECT 1;\n")?;
        let Err(e) = db.migrate_all(&kiln::orm::read_migrations(&dir)?).await else {
            fail!("{kind:?}: an edited migration passed");
        };
        if !e.to_string().contains("was changed after it was applied") {
            fail!("{e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
