//! 预警 on the four real final accounts (`YUSUAN_SHARED`): every error found by reading them by hand that the
//! rules cover is found, with its evidence, and no 错误 is raised that is not a real error. Skipped without the
//! shared folder.

use std::path::PathBuf;
use yusuan::budget::alerts::findings;
use yusuan::budget::checks::{Finding, Severity};
use yusuan::config::Config;
use yusuan::library::Library;
use yusuan::model::Scope;
use yusuan::pipeline;

fn shared() -> Option<PathBuf> {
    let Some(shared) = std::env::var_os("YUSUAN_SHARED") else {
        eprintln!("skipped: YUSUAN_SHARED not set");
        return None;
    };
    Some(PathBuf::from(shared))
}

/// The findings of each final account, by the start of its title.
fn checked() -> Option<Vec<(String, Vec<Finding>)>> {
    let shared = shared()?;
    let dir = tempfile::tempdir().unwrap();
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let lib = Library::open(Config::new(dir.path().join("index"), corpus)).unwrap();
    let r = pipeline::ingest(&lib, &[shared.join("corpus/final-accounts")], &|_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let mut out = Vec::new();
    for id in lib.store().doc_ids().unwrap() {
        let title = lib.store().get_meta(&id).unwrap().unwrap().title;
        out.push((title, findings(&lib, &id, &Scope::All).unwrap().unwrap()));
    }
    Some(out)
}

fn of<'a>(all: &'a [(String, Vec<Finding>)], title: &str) -> &'a [Finding] {
    &all.iter()
        .find(|(t, _)| t.starts_with(title))
        .unwrap_or_else(|| panic!("{title}"))
        .1
}

fn has(found: &[Finding], rule: &str, value: &str) -> bool {
    found
        .iter()
        .any(|f| f.rule == rule && f.found.as_deref() == Some(value))
}

#[test]
fn the_known_errors_of_the_real_final_accounts_are_found_and_nothing_else_is_an_error() {
    let Some(all) = checked() else { return };
    let czj = of(&all, "上海市普陀区财政局");
    // Section 四 says 0.3 where the 财政拨款收入支出决算总表 says 2,961.68; 71.73% where the tables give 71.65%.
    let total = czj
        .iter()
        .find(|f| f.rule == "text-amount")
        .expect("0.3 万元");
    assert_eq!(
        (total.expected.as_deref(), total.found.as_deref()),
        (Some("2,961.68"), Some("0.3"))
    );
    assert_eq!(total.page, Some(13));
    let share = czj.iter().find(|f| f.rule == "text-share").expect("71.73%");
    assert_eq!(
        (share.expected.as_deref(), share.found.as_deref()),
        (Some("71.65%"), Some("71.73%"))
    );

    let gh = of(&all, "上海市普陀区规划和自然资源局");
    assert!(has(gh, "unit-name", "上海市规划和自然资源局"), "{gh:#?}");
    assert!(has(gh, "unit-name", "规划与自然资源局"));
    assert!(has(gh, "text-percent-sign", "13.95"));
    assert!(has(gh, "text-share-truncated", "99.86%"));
    assert!(has(gh, "text-share-truncated", "95.45%"));
    // Names in the text that differ from the table's names for the same code (2080599, 2200199, 22102).
    let renamed: Vec<&str> = gh
        .iter()
        .filter(|f| f.rule == "text-subject-name")
        .filter_map(|f| f.row.as_deref())
        .collect();
    for code in ["2080599 ", "2200199 ", "22102 "] {
        assert!(
            renamed.iter().any(|r| r.starts_with(code)),
            "{code}: {renamed:?}"
        );
    }

    let sgb = of(&all, "中共上海市普陀区委社会工作部");
    assert!(has(sgb, "text-completion-zero-budget", "95.89%"));
    assert_eq!(
        sgb.iter()
            .filter(|f| f.rule == "text-growth-zero-base")
            .count(),
        4
    );
    assert!(has(sgb, "text-share-truncated", "9.55%"));
    assert!(sgb.iter().any(|f| f.rule == "template-text"));

    // The 基本支出 section: 规划's all-funds figures against the 一般公共预算 table; 财政局's list of 人员经费 names a
    // blank item and leaves out 奖励金 0.31; 社工部's 住房公积金 is "used for" 事业单位医疗.
    let amount = |rows: &str, found: &str| {
        gh.iter().any(|f| {
            f.rule == "text-amount"
                && f.row.as_deref() == Some(rows)
                && f.found.as_deref() == Some(found)
        })
    };
    assert!(amount("人员经费合计", "4896.98"), "{gh:#?}");
    assert!(amount("基本支出合计", "5377.64"));
    assert!(
        czj.iter()
            .any(|f| f.rule == "text-list-blank" && f.message.contains("个人农业生产补贴")),
        "{czj:#?}"
    );
    assert!(czj.iter().any(|f| f.rule == "text-list-missing"
        && f.row.as_deref() == Some("30309 奖励金")
        && f.expected.as_deref() == Some("0.31")));
    let purpose = sgb
        .iter()
        .find(|f| f.rule == "text-purpose")
        .expect("住房公积金 used for 事业单位医疗");
    assert!(
        purpose
            .quote
            .as_deref()
            .is_some_and(|q| q.contains("住房公积金（项）"))
    );
    // The comparison words of all three agree with their amounts (社工部 compares with 全年预算, not 年初预算 0).
    for (title, found) in &all {
        assert!(
            !found.iter().any(|f| f.rule == "text-comparison"
                || f.rule == "missing-table"
                || f.rule == "blank-table"
                || f.rule == "year"),
            "{title}: {found:#?}"
        );
    }

    // Rounding differences between tables (0.01–0.02) are information, never errors; the real files raise no
    // 错误 beyond the two of the 财政局, the two of 规划's 基本支出 section and the 社工部's completion of a zero budget.
    for (title, found) in &all {
        if title.contains("XX") {
            continue;
        }
        let errors: Vec<&Finding> = found
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        let expected = if title.starts_with("上海市普陀区财政局") {
            2
        } else if title.starts_with("中共上海市普陀区委社会工作部") {
            1
        } else if title.starts_with("上海市普陀区规划和自然资源局") {
            2
        } else {
            0
        };
        assert_eq!(errors.len(), expected, "{title}: {errors:#?}");
        assert!(
            found
                .iter()
                .filter(|f| f.rule == "rounding")
                .all(|f| f.severity == Severity::Info)
        );
    }
    // The template is full of placeholders.
    let template = of(&all, "上海市XX局");
    assert!(template.iter().filter(|f| f.rule == "placeholder").count() > 10);
}
