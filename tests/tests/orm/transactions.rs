//! Transactions commit on `Ok`, roll back on `Err` and on panic, and offer the whole API.

use kiln::orm::{Error, Tx};
use kiln::prelude::*;

use crate::models::{Line, Order};
use crate::{backend_tests, fail};

async fn tables(db: &Database) -> Result<(), Error> {
    db.create::<Order>().await?;
    db.create::<Line>().await
}

/// A parent and `n` children, written in one transaction by `tx`.
async fn write_order(tx: &Tx, label: &str, n: i64) -> Result<Order, Error> {
    let mut order = Order {
        id: Id::new(),
        label: label.into(),
    };
    tx.save(&mut order).await?;
    for qty in 1..=n {
        tx.save(&mut Line {
            id: Id::new(),
            order: ForeignKey::to(&order),
            qty,
        })
        .await?;
    }
    Ok(order)
}

backend_tests! {
    /// `Ok` commits everything.
    async fn commit_on_ok(db: Database, kind: Kind) -> TestResult {
        tables(&db).await?;
        let before = db.statement_count();
        let order = db
            .transaction(|tx| async move { Ok(write_order(&tx, "a", 5).await?) })
            .await
            .map_err(|e| e.to_string())?;
        // BEGIN, 6 inserts, COMMIT.
        assert_eq!(db.statement_count() - before, 8);
        assert_eq!(order.id.get(), Some(1));
        assert_eq!(db.select::<Line>().filter(Line::ORDER.eq(order.id)).count().await?, 5);
        Ok(())
    }

    /// `Err` rolls everything back and returns the error.
    async fn rollback_on_err(db: Database, kind: Kind) -> TestResult {
        tables(&db).await?;
        let res: kiln::Result<()> = db
            .transaction(|tx| async move {
                write_order(&tx, "doomed", 3).await?;
                Err(kiln::Error::bad_request("changed my mind"))
            })
            .await;
        let err = res.expect_err("the closure failed");
        assert_eq!(err.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(err.public_text(), "changed my mind");
        assert_eq!(db.select::<Order>().count().await?, 0);
        assert_eq!(db.select::<Line>().count().await?, 0);

        // An ORM error inside rolls back too, and keeps its status.
        let res: kiln::Result<()> = db
            .transaction(|tx| async move {
                write_order(&tx, "ok so far", 2).await?;
                let mut bad = Line { id: Id::new(), order: ForeignKey::from_id(999), qty: 1 };
                tx.save(&mut bad).await?;
                Ok(())
            })
            .await;
        assert_eq!(res.expect_err("fk").status_code(), StatusCode::CONFLICT);
        assert_eq!(db.select::<Line>().count().await?, 0);
        Ok(())
    }

    /// A panic rolls back, then continues as a panic.
    async fn rollback_on_panic(db: Database, kind: Kind) -> TestResult {
        tables(&db).await?;
        let db2 = db.clone();
        let task = tokio::spawn(async move {
            db2.transaction(|tx| async move {
                write_order(&tx, "panics", 4).await?;
                if tx.backend() == tx.backend() {
                    panic!("boom inside the transaction");
                }
                Ok(())
            })
            .await
        });
        let payload = match task.await {
            Err(e) if e.is_panic() => e.into_panic(),
            other => fail!("the panic was swallowed: {other:?}"),
        };
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom inside the transaction"));
        assert_eq!(db.select::<Order>().count().await?, 0);
        assert_eq!(db.select::<Line>().count().await?, 0);
        // The connection went back to the pool in a usable state.
        let order = db
            .transaction(|tx| async move { Ok(write_order(&tx, "after", 1).await?) })
            .await
            .map_err(|e| e.to_string())?;
        assert_eq!(db.get::<Order>(order.id).await?.map(|o| o.label), Some("after".into()));
        Ok(())
    }

    /// `tx` offers get, all, select, update, delete and find; its writes are visible
    /// inside it, and outside only after commit.
    async fn tx_api_and_isolation(db: Database, kind: Kind) -> TestResult {
        tables(&db).await?;
        let tx = db.begin().await?;
        let mut order = write_order(&tx, "inside", 2).await?;
        assert_eq!(tx.get::<Order>(order.id).await?, Some(order.clone()));
        assert_eq!(tx.find::<Order>(order.id).await?, order);
        let lines = tx.all::<Line>().await?;
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.order.get() == Some(&order)), "joins work in a tx");
        assert_eq!(tx.select::<Line>().filter(Line::QTY.gt(1)).count().await?, 1);
        order.label = "renamed".into();
        tx.update(&order).await?;
        assert!(tx.delete::<Line>(lines[0].id).await?);
        assert_eq!(tx.tables().await?, ["line", "order"]);
        if kind != Kind::SqliteMemory {
            // Another connection doesn't see uncommitted rows.
            assert_eq!(db.get::<Order>(order.id).await?, None);
        }
        tx.clone().commit().await?;
        assert!(matches!(tx.get::<Order>(order.id).await, Err(Error::TransactionClosed)));
        assert!(matches!(tx.rollback().await, Err(Error::TransactionClosed)));
        assert_eq!(db.get::<Order>(order.id).await?.map(|o| o.label), Some("renamed".into()));
        assert_eq!(db.select::<Line>().count().await?, 1);

        // Dropping an uncommitted transaction rolls it back.
        let tx = db.begin().await?;
        write_order(&tx, "dropped", 1).await?;
        drop(tx);
        assert_eq!(db.select::<Order>().filter(Order::LABEL.eq("dropped")).count().await?, 0);
        Ok(())
    }

    /// Committing by hand inside the closure is allowed.
    async fn commit_inside_closure(db: Database, kind: Kind) -> TestResult {
        tables(&db).await?;
        db.transaction(|tx| async move {
            write_order(&tx, "by hand", 1).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())?;
        assert_eq!(db.select::<Order>().count().await?, 1);
        Ok(())
    }
}
