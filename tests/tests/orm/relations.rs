//! Foreign keys: loaded by joins in one statement (nested, repeated, self-referring),
//! and the constraint errors.

use kiln::orm::Error;
use kiln::prelude::*;

use crate::models::{Author, Book, Category, Country, Novel, Writer};
use crate::{backend_tests, fail};

async fn library(db: &Database) -> Result<(Writer, Writer, Vec<Novel>), Error> {
    db.create::<Country>().await?;
    db.create::<Writer>().await?;
    db.create::<Novel>().await?;
    let mut fr = Country {
        id: Id::new(),
        code: "FR".into(),
    };
    let mut jp = Country {
        id: Id::new(),
        code: "JP".into(),
    };
    db.save(&mut fr).await?;
    db.save(&mut jp).await?;
    let mut hugo = Writer {
        id: Id::new(),
        name: "Hugo".into(),
        country: ForeignKey::to(&fr),
    };
    let mut soseki = Writer {
        id: Id::new(),
        name: "Soseki".into(),
        country: ForeignKey::to(&jp),
    };
    db.save(&mut hugo).await?;
    db.save(&mut soseki).await?;
    let mut novels = Vec::new();
    for i in 0..10 {
        let (writer, editor) = if i % 2 == 0 {
            (&hugo, Some(&soseki))
        } else {
            (&soseki, None)
        };
        let mut n = Novel {
            id: Id::new(),
            title: format!("novel {i}"),
            writer: ForeignKey::to(writer),
            editor: editor.map(ForeignKey::to),
            pages: (i % 3 != 0).then_some(100 + i),
        };
        db.save(&mut n).await?;
        novels.push(n);
    }
    Ok((hugo, soseki, novels))
}

backend_tests! {
    /// Listing rows loads nested and repeated keys in exactly one statement.
    async fn nested_keys_load_in_one_statement(db: Database, kind: Kind) -> TestResult {
        let (hugo, soseki, novels) = library(&db).await?;

        let before = db.statement_count();
        let all = db.all::<Novel>().await?;
        assert_eq!(db.statement_count() - before, 1, "all() is one statement");
        assert_eq!(all, novels);
        for (i, n) in all.iter().enumerate() {
            let writer = n.writer.get().expect("writer loaded");
            let country = writer.country.get().expect("writer's country loaded");
            if i % 2 == 0 {
                assert_eq!(writer.name, "Hugo");
                assert_eq!(country.code, "FR");
                let editor = n.editor.as_ref().expect("an editor").get().expect("editor loaded");
                assert_eq!(editor, &soseki);
                assert_eq!(editor.country.get().map(|c| c.code.as_str()), Some("JP"));
            } else {
                assert_eq!(writer, &soseki);
                assert_eq!(country.code, "JP");
                assert_eq!(n.editor, None);
            }
            assert_eq!(n.pages, (i % 3 != 0).then_some(100 + i as i32));
        }

        let before = db.statement_count();
        let one = db.get::<Novel>(novels[4].id).await?.expect("novel 4");
        assert_eq!(db.statement_count() - before, 1, "get() is one statement");
        assert_eq!(one.writer.get(), Some(&hugo));

        let before = db.statement_count();
        let picked = db
            .select::<Novel>()
            .filter(Novel::WRITER.eq(&hugo))
            .order_by(Novel::TITLE.desc())
            .limit(2)
            .all()
            .await?;
        assert_eq!(db.statement_count() - before, 1, "select().all() is one statement");
        let titles: Vec<&str> = picked.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles, ["novel 8", "novel 6"]);
        assert!(picked.iter().all(|n| n.writer.get().is_some_and(|w| w.country.get().is_some())));
        Ok(())
    }

    /// A table referring to itself: the parent is loaded, its own parent only by id.
    async fn self_reference(db: Database, kind: Kind) -> TestResult {
        db.create::<Category>().await?;
        let mut root = Category { id: Id::new(), name: "root".into(), parent: None };
        db.save(&mut root).await?;
        let mut mid = Category { id: Id::new(), name: "mid".into(), parent: Some(ForeignKey::to(&root)) };
        db.save(&mut mid).await?;
        let mut leaf = Category { id: Id::new(), name: "leaf".into(), parent: Some(ForeignKey::to(&mid)) };
        db.save(&mut leaf).await?;

        let found = db.get::<Category>(leaf.id).await?.expect("leaf");
        let parent = found.parent.as_ref().and_then(|p| p.get()).expect("parent loaded");
        assert_eq!(parent.name, "mid");
        let grandparent = parent.parent.as_ref().expect("grandparent key");
        assert_eq!(grandparent.id(), root.id);
        assert!(!grandparent.is_loaded(), "one level deep");

        let all = db.all::<Category>().await?;
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].parent, None);
        assert_eq!(all[1].parent.as_ref().and_then(|p| p.get()).map(|c| c.name.as_str()), Some("root"));
        let children = db
            .select::<Category>()
            .filter(Category::PARENT.eq(root.id))
            .all()
            .await?;
        assert_eq!(children, [mid]);
        assert_eq!(db.select::<Category>().filter(Category::PARENT.is_null()).count().await?, 1);
        Ok(())
    }

    /// Saving a key to an unsaved row is an error naming the column, and writes nothing.
    async fn key_to_unsaved_row_is_an_error(db: Database, kind: Kind) -> TestResult {
        db.create::<Author>().await?;
        db.create::<Book>().await?;
        let ghost = Author::new("Ghost", 1);
        let mut book = Book::new("Orphan", true, &ghost);
        match db.save(&mut book).await {
            Err(Error::Unsaved { table: "book", column: Some("author_id") }) => {}
            other => fail!("expected Unsaved, got {other:?}"),
        }
        assert_eq!(book.id.get(), None);
        assert_eq!(db.select::<Book>().count().await?, 0);
        let err = db.save(&mut book).await.expect_err("still unsaved");
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            err.to_string(),
            "`book.author_id` refers to a row that was never saved; save that row first"
        );
        Ok(())
    }

    /// A key to a missing row, or deleting a referenced row, violates the constraint.
    async fn foreign_key_violations(db: Database, kind: Kind) -> TestResult {
        db.create::<Author>().await?;
        db.create::<Book>().await?;
        let mut kay = Author::new("Kay", 12);
        db.save(&mut kay).await?;
        let mut book = Book::new("B", true, &kay);
        book.author = ForeignKey::from_id(404);
        match db.save(&mut book).await {
            Err(e @ Error::ForeignKeyViolation { .. }) => {
                assert_eq!(e.status(), StatusCode::CONFLICT);
                if kind == Kind::Postgres {
                    assert!(matches!(&e, Error::ForeignKeyViolation { column: Some(c), .. } if c == "author_id"), "{e:?}");
                }
            }
            other => fail!("expected a foreign-key violation, got {other:?}"),
        }
        assert_eq!(db.select::<Book>().count().await?, 0);

        book.author = ForeignKey::to(&kay);
        db.save(&mut book).await?;
        match db.delete::<Author>(kay.id).await {
            Err(Error::ForeignKeyViolation { .. }) => {}
            other => fail!("deleting a referenced row: {other:?}"),
        }
        assert!(db.get::<Author>(kay.id).await?.is_some(), "still there");
        assert!(db.delete::<Book>(book.id).await?);
        assert!(db.delete::<Author>(kay.id).await?, "free to go once unreferenced");
        Ok(())
    }
}
