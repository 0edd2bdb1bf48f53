//! Generated department budgets and final accounts for demonstrations and benchmarks, marked 生成数据: a
//! province's departments (cities × districts × departments) over a range of years, each year with a 部门预算
//! and a 部门决算. Every document is internally consistent: amounts are whole cents, 类 = Σ款 = Σ项, 合计 =
//! Σ类, 本年支出合计 = 基本支出 + 项目支出; a final account stays within ±8% of its budget per row; amounts grow
//! from year to year. Subjects and names are the real 一般公共预算 items of `corpus/reference/subjects.csv`.

use super::Table;
use super::recognise::Stage;
use crate::proposals::generate::Rng;

/// The mark every generated title carries.
pub const GENERATED: &str = "（生成数据）";

const SUBJECTS: &str = include_str!("../../corpus/reference/subjects.csv");

const CITIES: &[&str] = &[
    "东湖市",
    "西山市",
    "南川市",
    "北原市",
    "临江市",
    "青石市",
    "白河市",
    "安平市",
    "长宁市",
    "清远县",
];
const DISTRICTS: &[&str] = &[
    "本级",
    "城关区",
    "新华区",
    "和平区",
    "江北区",
    "高新区",
    "长乐县",
    "永安县",
    "太平县",
    "兴隆县",
    "石桥县",
    "云溪县",
];

/// A kind of department and the classes it mostly spends on.
struct Department {
    name: &'static str,
    classes: &'static [&'static str],
}

const DEPARTMENTS: &[Department] = &[
    Department {
        name: "财政局",
        classes: &["201"],
    },
    Department {
        name: "教育局",
        classes: &["205"],
    },
    Department {
        name: "卫生健康委员会",
        classes: &["210"],
    },
    Department {
        name: "民政局",
        classes: &["208"],
    },
    Department {
        name: "人力资源和社会保障局",
        classes: &["208"],
    },
    Department {
        name: "公安局",
        classes: &["204"],
    },
    Department {
        name: "科学技术局",
        classes: &["206"],
    },
    Department {
        name: "文化和旅游局",
        classes: &["207"],
    },
    Department {
        name: "生态环境局",
        classes: &["211"],
    },
    Department {
        name: "住房和城乡建设局",
        classes: &["212"],
    },
    Department {
        name: "农业农村局",
        classes: &["213"],
    },
    Department {
        name: "交通运输局",
        classes: &["214"],
    },
    Department {
        name: "发展和改革委员会",
        classes: &["201"],
    },
    Department {
        name: "司法局",
        classes: &["204"],
    },
    Department {
        name: "应急管理局",
        classes: &["224"],
    },
    Department {
        name: "审计局",
        classes: &["201"],
    },
    Department {
        name: "统计局",
        classes: &["201"],
    },
    Department {
        name: "市场监督管理局",
        classes: &["201"],
    },
    Department {
        name: "水务局",
        classes: &["213"],
    },
    Department {
        name: "规划和自然资源局",
        classes: &["220"],
    },
];

/// Every department has these: pensions, staff medical care, housing provident fund.
pub(crate) const COMMON_ITEMS: &[&str] = &["2080505", "2101101", "2210201"];

/// One 项 of a unit: its code and its basic and project amounts in cents (万元 × 100).
type Row = (String, i64, i64);

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Departments (at most cities × districts × departments = 2,400).
    pub units: usize,
    pub first_year: i32,
    pub last_year: i32,
    pub seed: u64,
}

/// One generated document: its title and its tables.
#[derive(Debug, Clone)]
pub struct Generated {
    /// 东湖市城关区教育局2024年度部门决算（生成数据）.
    pub title: String,
    pub unit: String,
    pub year: i32,
    pub stage: Stage,
    pub tables: Vec<Table>,
}

impl Generated {
    /// The generated document as a stored document (public, its tables attached), under the source
    /// `generated:<title>`.
    pub fn document(&self) -> crate::model::Document {
        use crate::model::{Access, DocId, DocKind, Document, Format, Validity};
        let source = format!("generated:{}", self.title);
        Document {
            id: DocId::from_source(&source),
            source,
            content_hash: String::new(),
            format: Format::Xlsx,
            kind: match self.stage {
                Stage::Final => DocKind::FinalAccount,
                _ => DocKind::Budget,
            },
            level: None,
            title: self.title.clone(),
            issuer: Some(self.unit.clone()),
            doc_number: None,
            published: None,
            effective: None,
            version_date: None,
            region: None,
            year: Some(self.year),
            validity: Validity::Valid,
            public_validity: None,
            validity_pinned: false,
            expired: false,
            history: Vec::new(),
            body: self.title.clone(),
            outline: Vec::new(),
            articles: Vec::new(),
            size: 0,
            access: Access::Public,
            owners: Vec::new(),
            tables: self.tables.clone(),
            also_sources: Vec::new(),
            body_cut_from: None,
        }
    }
}

/// The 一般公共预算 items (7 digits) of the subject list, with the names of every code.
pub(crate) fn subjects() -> (
    Vec<(String, String)>,
    std::collections::BTreeMap<String, String>,
) {
    let mut items = Vec::new();
    let mut names = std::collections::BTreeMap::new();
    for line in SUBJECTS.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 4 {
            continue;
        }
        names.insert(f[0].to_string(), f[1].to_string());
        if f[0].len() == 7 && f[3] == "一般公共预算" {
            items.push((f[0].to_string(), f[1].to_string()));
        }
    }
    (items, names)
}

fn yuan(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The number of distinct generated departments.
pub(crate) fn department_count() -> usize {
    CITIES.len() * DISTRICTS.len() * DEPARTMENTS.len()
}

/// The `i`th generated department: its name, its region and the classes it mostly spends on.
pub(crate) fn department(i: usize) -> (String, String, &'static [&'static str]) {
    let dept = &DEPARTMENTS[i % DEPARTMENTS.len()];
    let place = i / DEPARTMENTS.len();
    let city = CITIES[place % CITIES.len()];
    let district = DISTRICTS[(place / CITIES.len()) % DISTRICTS.len()];
    let district = if district == "本级" { "" } else { district };
    (
        format!("示例省{city}{district}{}", dept.name),
        format!("示例省{city}{district}"),
        dept.classes,
    )
}

/// The documents of a plan, in unit, year, stage order (budget before final account).
pub fn generate(plan: Plan) -> impl Iterator<Item = Generated> {
    let (items, names) = subjects();
    let mut rng = Rng::new(plan.seed);
    let max = CITIES.len() * DISTRICTS.len() * DEPARTMENTS.len();
    let units: Vec<(String, Vec<Row>)> = (0..plan.units.min(max))
        .map(|i| {
            let dept = &DEPARTMENTS[i % DEPARTMENTS.len()];
            let place = i / DEPARTMENTS.len();
            let city = CITIES[place % CITIES.len()];
            let district = DISTRICTS[(place / CITIES.len()) % DISTRICTS.len()];
            let district = if district == "本级" { "" } else { district };
            let name = format!("示例省{city}{district}{}", dept.name);
            // The unit's items: some of its classes' items, plus the common ones; base amounts in cents.
            let mut own: Vec<&(String, String)> = items
                .iter()
                .filter(|(c, _)| dept.classes.iter().any(|k| c.starts_with(k)))
                .collect();
            let n = own.len().min(4 + rng.below(8));
            let mut chosen = Vec::new();
            while chosen.len() < n && !own.is_empty() {
                let k = rng.below(own.len());
                chosen.push(own.swap_remove(k).0.clone());
            }
            chosen.extend(COMMON_ITEMS.iter().map(|c| c.to_string()));
            chosen.sort();
            chosen.dedup();
            let rows = chosen
                .into_iter()
                .map(|c| {
                    let basic = if c.ends_with("01") || COMMON_ITEMS.contains(&c.as_str()) {
                        5_000 + rng.below(500_000) as i64
                    } else {
                        0
                    };
                    let project = if COMMON_ITEMS.contains(&c.as_str()) {
                        0
                    } else {
                        rng.below(800_000) as i64
                    };
                    (c, basic, project)
                })
                .collect();
            (name, rows)
        })
        .collect();
    let years = plan.first_year..=plan.last_year;
    // One unit's documents at a time, each unit with its own random source (so memory stays small).
    units
        .into_iter()
        .enumerate()
        .flat_map(move |(i, (unit, rows))| {
            let mut rng = Rng::new(plan.seed ^ (i as u64).wrapping_mul(0x9E37_79B9));
            let mut growth = 1.0;
            let mut docs = Vec::new();
            for year in years.clone() {
                growth *= 1.02 + rng.below(7) as f64 / 100.0;
                let budget: Vec<Row> = rows
                    .iter()
                    .map(|(c, b, p)| {
                        (
                            c.clone(),
                            (*b as f64 * growth) as i64,
                            (*p as f64 * growth) as i64,
                        )
                    })
                    .collect();
                let fin: Vec<Row> = budget
                    .iter()
                    .map(|(c, b, p)| {
                        let f = 0.92 + rng.below(17) as f64 / 100.0;
                        (c.clone(), (*b as f64 * f) as i64, (*p as f64 * f) as i64)
                    })
                    .collect();
                for (stage, amounts) in [(Stage::Budget, &budget), (Stage::Final, &fin)] {
                    docs.push(document(&unit, year, stage, amounts, &names));
                }
            }
            docs
        })
}

/// The expenditure table and the general-budget grant table of one document.
fn document(
    unit: &str,
    year: i32,
    stage: Stage,
    items: &[Row],
    names: &std::collections::BTreeMap<String, String>,
) -> Generated {
    let word = match stage {
        Stage::Final => "决算",
        _ => "预算",
    };
    // Sums per code at every level, in code order: a class before its sections before its items.
    let mut sums: std::collections::BTreeMap<String, (i64, i64)> =
        std::collections::BTreeMap::new();
    for (code, b, p) in items {
        for len in [3, 5, 7] {
            let e = sums.entry(code[..len].to_string()).or_default();
            e.0 += b;
            e.1 += p;
        }
    }
    let total = sums
        .iter()
        .filter(|(c, _)| c.len() == 3)
        .fold((0, 0), |t, (_, s)| (t.0 + s.0, t.1 + s.1));
    let body = |rows: &mut Vec<Vec<String>>| {
        rows.push(vec![
            String::new(),
            "合计".into(),
            yuan(total.0 + total.1),
            yuan(total.0),
            yuan(total.1),
        ]);
        for (code, (b, p)) in &sums {
            rows.push(vec![
                code.clone(),
                names.get(code).cloned().unwrap_or_default(),
                yuan(b + p),
                yuan(*b),
                yuan(*p),
            ]);
        }
    };
    let header = vec![
        "科目编码".to_string(),
        "科目名称".into(),
        "本年支出合计".into(),
        "基本支出".into(),
        "项目支出".into(),
    ];
    let table = |title: String, first: &str| {
        let mut rows = vec![
            vec![format!("{title}{GENERATED}")],
            vec![
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "单位：万元".into(),
            ],
            header.clone(),
        ];
        rows[2][2] = first.to_string();
        body(&mut rows);
        let mut t = Table::from_texts(title, rows);
        t.unit = Some("单位：万元".into());
        t
    };
    let tables = vec![
        table(format!("支出{word}表"), "本年支出合计"),
        table(format!("一般公共预算财政拨款支出{word}表"), "合计"),
    ];
    Generated {
        title: format!("{unit}{year}年度部门{word}{GENERATED}"),
        unit: unit.to_string(),
        year,
        stage,
        tables,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::recognise::{
        Catalog, CodeLevel, RowKey, TableKind, parse_amount, recognise,
    };

    #[test]
    fn generated_documents_are_marked_recognised_and_add_up_at_every_level() {
        let docs: Vec<Generated> = generate(Plan {
            units: 25,
            first_year: 2022,
            last_year: 2024,
            seed: 7,
        })
        .collect();
        assert_eq!(docs.len(), 25 * 3 * 2);
        let catalog = Catalog::builtin();
        for d in &docs {
            assert!(d.title.ends_with(GENERATED), "{}", d.title);
            for t in &d.tables {
                let r = recognise(t, &catalog);
                assert!(
                    matches!(
                        r.kind,
                        TableKind::Expenditure | TableKind::GeneralExpenditure
                    ),
                    "{}",
                    t.title
                );
                assert_eq!(r.stage, Some(d.stage));
                let cents = |row: usize, col: usize| {
                    (parse_amount(&t.rows[row][col].text).unwrap() * 100.0).round() as i64
                };
                let mut by_code = std::collections::BTreeMap::new();
                let mut total = None;
                for row in &r.rows {
                    assert_eq!(
                        cents(row.index, 2),
                        cents(row.index, 3) + cents(row.index, 4)
                    );
                    match &row.key {
                        RowKey::Code { code, level, .. } => {
                            assert_eq!(CodeLevel::of(code), Some(*level));
                            by_code.insert(code.clone(), cents(row.index, 2));
                        }
                        RowKey::Total => total = Some(cents(row.index, 2)),
                        RowKey::Label => panic!("a row without code: {}", row.name),
                    }
                }
                for (code, amount) in &by_code {
                    if code.len() < 7 {
                        let children: i64 = by_code
                            .iter()
                            .filter(|(c, _)| {
                                c.len() == code.len() + 2 && c.starts_with(code.as_str())
                            })
                            .map(|(_, a)| a)
                            .sum();
                        assert_eq!(children, *amount, "{code} in {}", d.title);
                    }
                }
                let classes: i64 = by_code
                    .iter()
                    .filter(|(c, _)| c.len() == 3)
                    .map(|(_, a)| a)
                    .sum();
                assert_eq!(total, Some(classes));
            }
        }
        // The same plan gives the same documents.
        let again: Vec<String> = generate(Plan {
            units: 25,
            first_year: 2022,
            last_year: 2024,
            seed: 7,
        })
        .map(|d| d.tables[0].rows[4][2].text.clone())
        .collect();
        assert_eq!(
            again,
            docs.iter()
                .map(|d| d.tables[0].rows[4][2].text.clone())
                .collect::<Vec<_>>()
        );
    }
}
