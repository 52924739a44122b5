//! Every column type round-trips, extremes included, and compares in filters.

use kiln::orm::chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use kiln::prelude::*;

use crate::backend_tests;
use crate::models::Sample;

fn sample(i: i64) -> Sample {
    let at: DateTime<Utc> = Utc.with_ymd_and_hms(2024, 2, 29, 12, 30, 45).unwrap()
        + std::time::Duration::from_micros(123_456);
    let local: NaiveDateTime = NaiveDate::from_ymd_opt(1999, 12, 31)
        .unwrap()
        .and_hms_micro_opt(23, 59, 59, 999_999)
        .unwrap();
    Sample {
        id: Id::new(),
        big: i,
        small: i32::MIN,
        real: -1.5e300,
        flag: true,
        text: "tab\tnewline\n quote' dq\" ünï 😀".into(),
        bytes: vec![0, 1, 2, 255, 0],
        maybe_big: Some(i64::MIN),
        maybe_small: None,
        maybe_real: Some(0.1),
        maybe_flag: Some(false),
        maybe_text: Some(String::new()),
        maybe_bytes: None,
        other: Id::from(42),
        maybe_other: None,
        at,
        local,
        day: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        maybe_day: None,
        data: serde_json::json!({"a": [1, 2, {"b": null}], "s": "x'y"}),
        maybe_data: Some(serde_json::json!([true, 1.5])),
    }
}

backend_tests! {
    /// Values come back exactly as saved, NULLs included.
    async fn every_type_round_trips(db: Database, kind: Kind) -> TestResult {
        db.create::<Sample>().await?;
        let mut a = sample(i64::MAX);
        db.save(&mut a).await?;
        let mut b = Sample {
            maybe_big: None,
            maybe_small: Some(i32::MAX),
            maybe_real: None,
            maybe_flag: None,
            maybe_text: None,
            maybe_bytes: Some(Vec::new()),
            maybe_other: Some(Id::from(7)),
            maybe_day: Some(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()),
            maybe_data: None,
            flag: false,
            ..sample(-1)
        };
        db.save(&mut b).await?;
        assert_eq!(db.all::<Sample>().await?, [a.clone(), b.clone()]);

        // Update every column to new values.
        a.text = String::new();
        a.bytes = vec![9; 1000];
        a.maybe_text = None;
        a.data = serde_json::json!(null);
        db.update(&a).await?;
        assert_eq!(db.get::<Sample>(a.id).await?, Some(a.clone()));
        Ok(())
    }

    /// Filters on each type bind the value with the column's type.
    async fn filters_on_each_type(db: Database, kind: Kind) -> TestResult {
        db.create::<Sample>().await?;
        let mut a = sample(1);
        db.save(&mut a).await?;
        let mut b = sample(2);
        b.flag = false;
        b.small = 5;
        b.real = 2.5;
        b.bytes = vec![7];
        b.maybe_flag = None;
        b.day = NaiveDate::from_ymd_opt(2030, 6, 1).unwrap();
        b.at = Utc.with_ymd_and_hms(2030, 6, 1, 0, 0, 0).unwrap();
        b.other = Id::from(43);
        db.save(&mut b).await?;
        let only_b = |rows: Vec<Sample>| rows.into_iter().map(|s| s.big).collect::<Vec<_>>();
        let q = db.select::<Sample>();
        assert_eq!(only_b(q.filter(Sample::FLAG.eq(false)).all().await?), [2]);
        let q = db.select::<Sample>();
        assert_eq!(only_b(q.filter(Sample::SMALL.gt(0)).all().await?), [2]);
        let q = db.select::<Sample>();
        assert_eq!(only_b(q.filter(Sample::REAL.gt(0.0)).all().await?), [2]);
        let q = db.select::<Sample>();
        assert_eq!(only_b(q.filter(Sample::BYTES.eq(vec![7u8])).all().await?), [2]);
        let q = db.select::<Sample>();
        assert_eq!(only_b(q.filter(Sample::MAYBE_FLAG.is_null()).all().await?), [2]);
        let q = db.select::<Sample>();
        assert_eq!(only_b(q.filter(Sample::MAYBE_FLAG.eq(false)).all().await?), [1]);
        let q = db.select::<Sample>();
        assert_eq!(only_b(q.filter(Sample::OTHER.eq(43)).all().await?), [2]);
        let q = db.select::<Sample>();
        let y2k = NaiveDate::from_ymd_opt(2001, 1, 1).unwrap();
        assert_eq!(only_b(q.filter(Sample::DAY.gt(y2k)).all().await?), [2]);
        let q = db.select::<Sample>();
        let now = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(only_b(q.filter(Sample::AT.lt(now)).all().await?), [1]);
        let q = db.select::<Sample>();
        assert_eq!(only_b(q.order_by(Sample::REAL.desc()).all().await?), [2, 1]);
        Ok(())
    }
}

backend_tests! {
    /// A table named `select`, with a column named `type`, round-trips and filters.
    async fn keyword_names_and_raw_identifiers(db: Database, kind: Kind) -> TestResult {
        use crate::models::Select;
        db.create::<Select>().await?;
        assert_eq!(db.tables().await?, ["select"]);
        let mut first = Select { id: Id::new(), r#type: "a".into(), aka: None, previous: None, other_id: Id::from(3) };
        db.save(&mut first).await?;
        let mut second = Select {
            id: Id::new(),
            r#type: "b".into(),
            aka: Some("bee".into()),
            previous: Some(ForeignKey::to(&first)),
            other_id: Id::from(4),
        };
        db.save(&mut second).await?;
        assert_eq!(Select::TYPE.name(), "type");
        assert_eq!(Select::AKA.name(), "alias_column");
        let found = db.select::<Select>().filter(Select::TYPE.eq("b")).all().await?;
        assert_eq!(found, [second.clone()]);
        assert_eq!(found[0].previous.as_ref().and_then(|p| p.get()), Some(&first));
        assert_eq!(db.select::<Select>().filter(Select::AKA.eq("bee")).count().await?, 1);
        assert_eq!(db.select::<Select>().filter(Select::OTHER_ID.eq(3)).count().await?, 1);
        let json = serde_json::to_value(&second)?;
        assert_eq!(json["ALIAS"], "bee");
        assert_eq!(json["otherId"], 4);
        Ok(())
    }
}
