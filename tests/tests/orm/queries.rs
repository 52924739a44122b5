//! The query builder: every operator, combinators, order, limit, offset, first, count.

use kiln::prelude::*;

use crate::backend_tests;
use crate::models::{Member, Novel};

async fn members(db: &Database) -> Result<Vec<Member>, kiln::orm::Error> {
    db.create::<Member>().await?;
    let rows = [
        ("ann@x.test", "Ann", 3, Some("a")),
        ("bob@x.test", "Bob", 1, None),
        ("cy@x.test", "Cy", 2, Some("c")),
        ("dee@x.test", "Dee", 5, None),
        ("eve@x.test", "Eve", 4, Some("e")),
    ];
    let mut out = Vec::new();
    for (email, name, order, select) in rows {
        let mut m = Member {
            id: Id::new(),
            email: email.into(),
            name: name.into(),
            order,
            select: select.map(str::to_string),
        };
        db.save(&mut m).await?;
        out.push(m);
    }
    Ok(out)
}

fn names(rows: &[Member]) -> Vec<&str> {
    rows.iter().map(|m| m.name.as_str()).collect()
}

backend_tests! {
    /// `#[column(index)]` creates an index; `#[column(unique)]` a unique constraint.
    async fn indexes_are_created(db: Database, kind: Kind) -> TestResult {
        members(&db).await?;
        let sql = db.create_sql::<Member>();
        assert_eq!(sql.len(), 2);
        assert!(sql[0].contains("\"email\" TEXT NOT NULL UNIQUE"), "{}", sql[0]);
        assert_eq!(
            sql[1],
            "CREATE INDEX IF NOT EXISTS \"members_display_name_idx\" ON \"members\" (\"display_name\")"
        );
        let found: Vec<String> = match (db.sqlite_pool(), db.postgres_pool()) {
            (Some(p), _) => kiln::sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'members' ORDER BY name",
            )
            .fetch_all(p)
            .await?,
            (_, Some(p)) => kiln::sqlx::query_scalar(
                "SELECT indexname::text FROM pg_indexes WHERE tablename = 'members' \
                 AND schemaname = current_schema() ORDER BY indexname",
            )
            .fetch_all(p)
            .await?,
            _ => unreachable!(),
        };
        assert!(found.iter().any(|n| n == "members_display_name_idx"), "{found:?}");
        // The unique constraint's index too (named by the database).
        assert!(found.len() >= 2, "{found:?}");
        Ok(())
    }

    /// Comparison operators, NULL tests, IN lists and LIKE.
    async fn operators(db: Database, kind: Kind) -> TestResult {
        members(&db).await?;
        let q = |f: kiln::orm::Filter<Member>| {
            let db = db.clone();
            async move { db.select::<Member>().filter(f).all().await }
        };
        assert_eq!(names(&q(Member::NAME.eq("Cy")).await?), ["Cy"]);
        assert_eq!(names(&q(Member::NAME.ne("Cy")).await?), ["Ann", "Bob", "Dee", "Eve"]);
        assert_eq!(names(&q(Member::ORDER.lt(3)).await?), ["Bob", "Cy"]);
        assert_eq!(names(&q(Member::ORDER.le(3)).await?), ["Ann", "Bob", "Cy"]);
        assert_eq!(names(&q(Member::ORDER.gt(3)).await?), ["Dee", "Eve"]);
        assert_eq!(names(&q(Member::ORDER.ge(3)).await?), ["Ann", "Dee", "Eve"]);
        assert_eq!(names(&q(Member::SELECT.is_null()).await?), ["Bob", "Dee"]);
        assert_eq!(names(&q(Member::SELECT.is_not_null()).await?), ["Ann", "Cy", "Eve"]);
        assert_eq!(names(&q(Member::SELECT.eq("c")).await?), ["Cy"]);
        assert_eq!(names(&q(Member::ORDER.in_list([5, 1, 9])).await?), ["Bob", "Dee"]);
        assert_eq!(names(&q(Member::NAME.in_list(["Eve", "Ann"])).await?), ["Ann", "Eve"]);
        assert_eq!(names(&q(Member::NAME.in_list(Vec::<String>::new())).await?), Vec::<&str>::new());
        assert_eq!(names(&q(!Member::NAME.in_list(Vec::<&str>::new())).await?).len(), 5);
        assert_eq!(names(&q(Member::ID.in_list([1, 3])).await?), ["Ann", "Cy"]);
        assert_eq!(names(&q(Member::EMAIL.like("%e@x.test")).await?), ["Dee", "Eve"]);
        assert_eq!(names(&q(Member::EMAIL.like("_y@%")).await?), ["Cy"]);
        assert_eq!(names(&q(Member::EMAIL.starts_with("bo")).await?), ["Bob"]);
        assert_eq!(names(&q(Member::EMAIL.ends_with("y@x.test")).await?), ["Cy"]);
        assert_eq!(names(&q(Member::EMAIL.contains("@x.")).await?).len(), 5);
        Ok(())
    }

    /// `and`, `or`, `!`, `&`, `|`, and repeated `filter` calls.
    async fn combinators(db: Database, kind: Kind) -> TestResult {
        members(&db).await?;
        let both = db
            .select::<Member>()
            .filter(Member::ORDER.gt(1).and(Member::SELECT.is_not_null()))
            .all()
            .await?;
        assert_eq!(names(&both), ["Ann", "Cy", "Eve"]);
        let either = db
            .select::<Member>()
            .filter(Member::NAME.eq("Bob").or(Member::ORDER.eq(5)))
            .all()
            .await?;
        assert_eq!(names(&either), ["Bob", "Dee"]);
        let ops = db
            .select::<Member>()
            .filter((Member::ORDER.lt(2) | Member::ORDER.gt(4)) & !Member::NAME.eq("Dee"))
            .all()
            .await?;
        assert_eq!(names(&ops), ["Bob"]);
        let repeated = db
            .select::<Member>()
            .filter(Member::ORDER.ge(2))
            .filter(Member::ORDER.le(4))
            .filter(Member::NAME.ne("Cy"))
            .all()
            .await?;
        assert_eq!(names(&repeated), ["Ann", "Eve"]);
        // NOT of a comparison with NULL matches neither way (SQL's three values).
        let not_c = db.select::<Member>().filter(!Member::SELECT.eq("c")).all().await?;
        assert_eq!(names(&not_c), ["Ann", "Eve"]);
        Ok(())
    }

    /// Order (with NULLs placed alike on both backends), limit, offset, first, count.
    async fn order_limit_offset(db: Database, kind: Kind) -> TestResult {
        members(&db).await?;
        let by_order = db.select::<Member>().order_by(Member::ORDER.desc()).all().await?;
        assert_eq!(names(&by_order), ["Dee", "Eve", "Ann", "Cy", "Bob"]);
        let nulls_first = db.select::<Member>().order_by(Member::SELECT.asc()).all().await?;
        assert_eq!(names(&nulls_first), ["Bob", "Dee", "Ann", "Cy", "Eve"]);
        let nulls_last = db.select::<Member>().order_by(Member::SELECT.desc()).all().await?;
        assert_eq!(names(&nulls_last), ["Eve", "Cy", "Ann", "Bob", "Dee"]);
        let two_keys = db
            .select::<Member>()
            .order_by(Member::SELECT.desc())
            .order_by(Member::ORDER.desc())
            .all()
            .await?;
        assert_eq!(names(&two_keys), ["Eve", "Cy", "Ann", "Dee", "Bob"]);
        let page = db
            .select::<Member>()
            .order_by(Member::ORDER.asc())
            .limit(2)
            .offset(1)
            .all()
            .await?;
        assert_eq!(names(&page), ["Cy", "Ann"]);
        let rest = db.select::<Member>().offset(3).all().await?;
        assert_eq!(names(&rest), ["Dee", "Eve"]);
        let first = db.select::<Member>().order_by(Member::NAME.desc()).first().await?;
        assert_eq!(first.map(|m| m.name), Some("Eve".to_string()));
        let none = db.select::<Member>().filter(Member::NAME.eq("Zed")).first().await?;
        assert_eq!(none, None);
        assert_eq!(db.select::<Member>().count().await?, 5);
        assert_eq!(db.select::<Member>().filter(Member::ORDER.gt(2)).count().await?, 3);
        assert_eq!(db.select::<Member>().limit(2).count().await?, 2);
        assert_eq!(db.select::<Member>().offset(4).count().await?, 1);
        assert_eq!(db.select::<Member>().limit(u64::MAX).count().await?, 5);

        // A client's `?sort=` is matched against the column names, never spliced.
        use kiln::orm::Order;
        let sorted = db.select::<Member>().order_by(Order::parse("-order").expect("a column")).all().await?;
        assert_eq!(names(&sorted), ["Dee", "Eve", "Ann", "Cy", "Bob"]);
        let sorted = db.select::<Member>().order_by(Order::parse("display_name").expect("a column")).all().await?;
        assert_eq!(names(&sorted), ["Ann", "Bob", "Cy", "Dee", "Eve"]);
        for bad in ["title; DROP TABLE members", "name", "\"order\"", "1", "", "-", "order DESC"] {
            assert!(Order::<Member>::parse(bad).is_none(), "{bad:?}");
        }
        Ok(())
    }

    /// Filters on optional integer and foreign-key columns of an empty table.
    async fn empty_results(db: Database, kind: Kind) -> TestResult {
        db.create::<crate::models::Country>().await?;
        db.create::<crate::models::Writer>().await?;
        db.create::<Novel>().await?;
        assert_eq!(db.all::<Novel>().await?, []);
        assert_eq!(db.select::<Novel>().filter(Novel::PAGES.gt(1)).all().await?, []);
        assert_eq!(db.select::<Novel>().filter(Novel::WRITER.eq(1)).count().await?, 0);
        assert_eq!(db.select::<Novel>().first().await?, None);
        Ok(())
    }
}
