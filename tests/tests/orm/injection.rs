//! SQL injection attempts are data: stored and read back as written, matched only
//! literally in filters, and no table or row is touched.

use kiln::prelude::*;

use crate::backend_tests;
use crate::models::{Author, Book, Member};

pub const PAYLOADS: &[&str] = &[
    "'; DROP TABLE book;--",
    "\"; DROP TABLE \"book\";--",
    "' OR '1'='1",
    "' OR 1=1--",
    "1 OR 1=1",
    "1; DROP TABLE books;--",
    "%27%20OR%201%3D1--",
    "1 UNION SELECT name FROM sqlite_master",
    "1 UNION SELECT table_name FROM information_schema.tables",
    "title; DROP TABLE books",
    "$1",
    "?",
    "%",
    "_",
    "\\",
    "\\%",
    "50% off_sale",
    "Robert'); DELETE FROM author WHERE ('1'='1",
    "😀 ünïcödé \u{7f}",
    "",
];

backend_tests! {
    /// Every payload in every string field round-trips, and filters match it literally.
    async fn payloads_are_data(db: Database, kind: Kind) -> TestResult {
        db.create::<Author>().await?;
        db.create::<Book>().await?;
        db.create::<Member>().await?;
        // SQLite's LIKE ignores ASCII case; PostgreSQL's doesn't.
        let fold = |s: &str| {
            if kind == Kind::Postgres { s.to_string() } else { s.to_ascii_lowercase() }
        };
        let mut saved = Vec::new();
        for (i, payload) in PAYLOADS.iter().enumerate() {
            let mut author = Author::new(payload, i as i64);
            db.save(&mut author).await?;
            let mut book = Book::new(payload, i % 2 == 0, &author);
            db.save(&mut book).await?;
            let mut member = Member::new(&format!("{i}{payload}"), payload);
            member.select = Some(payload.to_string());
            db.save(&mut member).await?;
            saved.push((author, book, member));
        }
        let n = PAYLOADS.len() as u64;
        assert_eq!(db.tables().await?, ["author", "book", "members"]);
        assert_eq!(db.select::<Book>().count().await?, n);

        for (payload, (author, book, member)) in PAYLOADS.iter().zip(&saved) {
            // Read back exactly.
            let got = db.get::<Book>(book.id).await?.expect("the book");
            assert_eq!(got.title, *payload);
            assert_eq!(got.author.get().map(|a| a.name.as_str()), Some(*payload));
            assert_eq!(db.get::<Member>(member.id).await?.as_ref(), Some(member));

            // Filters match the payload as a value, never as SQL.
            let by_title = db.select::<Book>().filter(Book::TITLE.eq(*payload)).all().await?;
            assert_eq!(by_title, std::slice::from_ref(book), "eq {payload:?}");
            let by_name = db.select::<Author>().filter(Author::NAME.eq(*payload)).count().await?;
            assert_eq!(by_name, 1, "eq {payload:?}");
            let not_it = db.select::<Author>().filter(Author::NAME.ne(*payload)).count().await?;
            assert_eq!(not_it, n - 1, "ne {payload:?}");
            let listed = db
                .select::<Member>()
                .filter(Member::SELECT.in_list([*payload, "no such value"]))
                .all()
                .await?;
            assert_eq!(listed, std::slice::from_ref(member), "in_list {payload:?}");
            let email = format!("{}{payload}", author.age);
            let exact = db.select::<Member>().filter(Member::EMAIL.eq(email.as_str())).count().await?;
            assert_eq!(exact, 1);

            // A literal search finds the rows containing the text: `%` and `_` are not
            // wildcards.
            let found = db.select::<Member>().filter(Member::NAME.contains(payload)).all().await?;
            let expected: Vec<&str> = PAYLOADS
                .iter()
                .copied()
                .filter(|p| fold(p).contains(&fold(payload)))
                .collect();
            let mut got: Vec<&str> = found.iter().map(|m| m.name.as_str()).collect();
            got.sort();
            let mut expected_sorted = expected.clone();
            expected_sorted.sort();
            assert_eq!(got, expected_sorted, "contains {payload:?}");
            let starts = db.select::<Author>().filter(Author::NAME.starts_with(payload)).count().await?;
            let expected = PAYLOADS
                .iter()
                .filter(|p| fold(p).starts_with(&fold(payload)))
                .count() as u64;
            assert_eq!(starts, expected, "starts_with {payload:?}");
        }

        // A `%` or `_` search matches only the rows that hold one.
        let percent = db.select::<Book>().filter(Book::TITLE.contains("%")).count().await?;
        assert_eq!(percent, PAYLOADS.iter().filter(|p| p.contains('%')).count() as u64);
        let underscore = db.select::<Book>().filter(Book::TITLE.contains("_")).count().await?;
        assert_eq!(underscore, PAYLOADS.iter().filter(|p| p.contains('_')).count() as u64);

        // Nothing was dropped, deleted or added.
        assert_eq!(db.tables().await?, ["author", "book", "members"]);
        assert_eq!(db.select::<Author>().count().await?, n);
        assert_eq!(db.select::<Book>().count().await?, n);
        assert_eq!(db.select::<Member>().count().await?, n);
        Ok(())
    }

    /// Updating a row to a payload changes that row only.
    async fn payload_updates_touch_one_row(db: Database, kind: Kind) -> TestResult {
        db.create::<Author>().await?;
        let mut a = Author::new("a", 1);
        let mut b = Author::new("b", 2);
        db.save(&mut a).await?;
        db.save(&mut b).await?;
        for payload in PAYLOADS {
            a.name = payload.to_string();
            db.save(&mut a).await?;
            assert_eq!(db.get::<Author>(b.id).await?, Some(b.clone()));
            assert_eq!(db.get::<Author>(a.id).await?, Some(a.clone()));
        }
        assert_eq!(db.select::<Author>().count().await?, 2);
        Ok(())
    }
}

/// Ids from the outside are parsed, never spliced: injection text is no id at all.
#[test]
fn ids_parse_strictly() {
    for text in [
        "1 OR 1=1",
        "1; DROP TABLE books;--",
        "' OR '1'='1",
        "1 UNION SELECT 1",
        "%",
        "_",
    ] {
        assert!(text.parse::<Id<Book>>().is_err(), "{text:?}");
    }
    assert_eq!("7".parse::<Id<Book>>().unwrap(), Id::from(7));
}
