//! A generator of realistic test proposals (`yusuan gen proposals N`): seeded, spread over the sessions of
//! one congress, with handling units, delegations, replies and feedback, and issues that come back session
//! after session. Every record says it is generated: its text starts with 【生成数据】 and its lead deputy's
//! name ends with （生成）.

use super::import::Column;
use crate::model::Date;

/// The marker at the start of every generated text.
pub const GENERATED: &str = "【生成数据】";

/// A small deterministic random source (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// One of some static strings.
    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// An issue deputies raise: category, handling units, title words, problems and suggestions.
struct Issue {
    category: &'static str,
    unit: &'static str,
    co_unit: &'static str,
    titles: &'static [&'static str],
    problems: &'static [&'static str],
    suggestions: &'static [&'static str],
}

const ISSUES: &[Issue] = &[
    Issue {
        category: "教育",
        unit: "市教育局",
        co_unit: "市财政局",
        titles: &[
            "加大学前教育经费投入",
            "建立公办幼儿园生均公用经费标准",
            "提高普惠性民办幼儿园补助",
        ],
        problems: &[
            "学前教育支出占教育支出比重偏低",
            "公办幼儿园生均公用经费长期未调整",
            "普惠性民办幼儿园补助标准偏低，保教质量难以提升",
        ],
        suggestions: &[
            "建立公办园生均公用经费财政拨款标准",
            "逐步提高学前教育支出占比并向农村倾斜",
            "将普惠园补助与办园质量评估挂钩",
        ],
    },
    Issue {
        category: "教育",
        unit: "市教育局",
        co_unit: "市人力资源社会保障局",
        titles: &[
            "提高乡村教师待遇",
            "落实乡村教师生活补助",
            "稳定农村义务教育教师队伍",
        ],
        problems: &[
            "乡村教师生活补助标准偏低",
            "农村义务教育学校教师流失较多",
            "乡村教师周转宿舍不足",
        ],
        suggestions: &[
            "提高乡村教师生活补助标准",
            "落实义务教育教师平均工资收入不低于当地公务员的要求",
            "加快建设乡村教师周转宿舍",
        ],
    },
    Issue {
        category: "财政",
        unit: "市财政局",
        co_unit: "市发展改革委",
        titles: &[
            "加强政府债务风险防控",
            "规范地方政府专项债券管理",
            "化解区县政府债务风险",
        ],
        problems: &[
            "政府债务余额接近限额",
            "部分区县债务率偏高",
            "专项债券项目收益不及预期，偿债压力加大",
        ],
        suggestions: &[
            "严格政府债务限额管理",
            "建立债务风险预警和应急处置机制",
            "将债务情况纳入向人大常委会的报告",
        ],
    },
    Issue {
        category: "财政",
        unit: "市财政局",
        co_unit: "市审计局",
        titles: &[
            "加强专项债券资金使用绩效管理",
            "提高专项债券资金使用效益",
            "防止专项债券资金闲置",
        ],
        problems: &[
            "部分专项债券项目资金闲置",
            "专项债券资金支出进度缓慢",
            "项目前期准备不足导致资金沉淀",
        ],
        suggestions: &[
            "对专项债券项目开展全过程绩效管理",
            "建立专项债券资金调整使用机制",
            "定期通报专项债券资金支出进度",
        ],
    },
    Issue {
        category: "农业农村",
        unit: "市农业农村局",
        co_unit: "市财政局",
        titles: &[
            "加大高标准农田建设投入",
            "完善高标准农田后期管护机制",
            "提高高标准农田建设亩均投入",
        ],
        problems: &[
            "已建高标准农田后期管护资金不足",
            "高标准农田亩均投入标准偏低",
            "部分农田设施损毁后难以修复",
        ],
        suggestions: &[
            "将高标准农田管护经费纳入预算",
            "提高亩均财政投入标准",
            "建立高标准农田建后管护责任制",
        ],
    },
    Issue {
        category: "民政",
        unit: "市民政局",
        co_unit: "市卫生健康委",
        titles: &[
            "完善社区居家养老服务补贴",
            "加大养老服务设施投入",
            "扩大经济困难失能老年人护理补贴覆盖面",
        ],
        problems: &[
            "居家养老服务补贴对象认定标准不统一",
            "社区养老服务设施运营经费不足",
            "经济困难失能老年人护理补贴标准偏低",
        ],
        suggestions: &[
            "统一居家养老服务补贴认定标准",
            "将社区养老服务设施运营补贴纳入预算",
            "提高失能老年人护理补贴标准",
        ],
    },
    Issue {
        category: "审计",
        unit: "市审计局",
        co_unit: "市财政局",
        titles: &[
            "建立审计查出问题整改长效机制",
            "加强审计查出问题整改监督",
            "推动屡审屡犯问题整改",
        ],
        problems: &[
            "部分审计查出问题屡审屡犯",
            "审计整改停留在纸面",
            "整改结果公开不充分",
        ],
        suggestions: &[
            "建立审计整改销号制度",
            "将整改情况向人大常委会专题报告",
            "对屡审屡犯问题追究责任",
        ],
    },
    Issue {
        category: "住房城乡建设",
        unit: "市住房城乡建设局",
        co_unit: "市财政局",
        titles: &[
            "推进城镇老旧小区改造资金多元筹措",
            "加快老旧小区加装电梯",
            "完善老旧小区改造后长效管理",
        ],
        problems: &[
            "老旧小区改造主要依赖财政资金和专项债券",
            "居民出资意愿不高",
            "改造后物业管理缺位",
        ],
        suggestions: &[
            "引导社会资本参与老旧小区改造",
            "建立居民合理出资机制",
            "将改造与物业服务引入同步推进",
        ],
    },
    Issue {
        category: "人力资源社会保障",
        unit: "市人力资源社会保障局",
        co_unit: "市财政局",
        titles: &[
            "扩大就业补助资金覆盖面",
            "加强职业技能培训补贴管理",
            "支持灵活就业人员参加社会保险",
        ],
        problems: &[
            "灵活就业人员难以享受职业培训补贴",
            "就业补助资金结转较多",
            "社会保险补贴申领程序复杂",
        ],
        suggestions: &[
            "将灵活就业人员纳入培训补贴范围",
            "简化社会保险补贴申领程序",
            "提高就业补助资金使用效率",
        ],
    },
    Issue {
        category: "卫生健康",
        unit: "市卫生健康委",
        co_unit: "市医保局",
        titles: &[
            "加强基层医疗卫生机构经费保障",
            "提高基本公共卫生服务补助标准",
            "支持村卫生室建设",
        ],
        problems: &[
            "基层医疗卫生机构运行经费不足",
            "基本公共卫生服务人均补助标准偏低",
            "村医待遇偏低、队伍老化",
        ],
        suggestions: &[
            "建立基层医疗卫生机构稳定的经费保障机制",
            "提高基本公共卫生服务补助标准",
            "落实村医养老保障",
        ],
    },
    Issue {
        category: "生态环境",
        unit: "市生态环境局",
        co_unit: "市水务局",
        titles: &[
            "加大农村生活污水治理投入",
            "完善流域生态补偿机制",
            "提高污水处理设施运行效率",
        ],
        problems: &[
            "农村生活污水处理设施建成后运行率低",
            "流域上下游生态补偿标准偏低",
            "污水管网配套不足",
        ],
        suggestions: &[
            "将农村污水设施运维经费纳入预算",
            "建立横向生态补偿机制",
            "加快配套管网建设",
        ],
    },
    Issue {
        category: "财政",
        unit: "市财政局",
        co_unit: "市人大常委会预算工作委员会",
        titles: &[
            "推进预算绩效管理全覆盖",
            "加强预算绩效评价结果应用",
            "完善部门整体支出绩效评价",
        ],
        problems: &[
            "绩效目标设定不够科学",
            "绩效评价结果与预算安排挂钩不紧",
            "部门整体支出绩效评价覆盖面不足",
        ],
        suggestions: &[
            "将绩效评价结果作为预算安排的重要依据",
            "向人大报送重点项目绩效目标",
            "扩大部门整体支出绩效评价范围",
        ],
    },
];

const DELEGATIONS: &[&str] = &[
    "东城区代表团",
    "西城区代表团",
    "南湖区代表团",
    "北山县代表团",
    "青河县代表团",
    "石桥区代表团",
    "金沙县代表团",
    "柳林区代表团",
    "白云县代表团",
    "高新区代表团",
    "解放军代表团",
    "市直代表团",
];

const SURNAMES: &[&str] = &[
    "赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯", "陈", "褚", "卫", "蒋", "沈", "韩", "杨",
];

const PLACES: &[&str] = &["全市", "农村地区", "城区", "山区县", "新城区", "各区县"];

const MEETINGS: &[&str] = &["一", "二", "三", "四", "五"];

/// A session of the generated congress: name, year and assignment date.
fn session(i: usize, first_year: i32) -> (String, i32, Date) {
    let year = first_year + i as i32;
    let name = format!(
        "第十六届人民代表大会第{}次会议",
        MEETINGS[i % MEETINGS.len()]
    );
    let assigned = Date::from_ymd_opt(year, 3, 20).unwrap_or_default();
    (name, year, assigned)
}

fn deputy(rng: &mut Rng) -> String {
    format!(
        "{}某{}",
        rng.pick(SURNAMES),
        if rng.chance(0.5) { "某" } else { "" }
    )
}

/// Generates `n` proposals as table rows (cells in `Column::ALL` order) over five sessions ending in the
/// year of `today`; `today` decides which are still open or overdue.
pub fn rows(n: usize, seed: u64, today: Date) -> Vec<Vec<String>> {
    let mut rng = Rng::new(seed);
    let sessions = MEETINGS.len();
    let last_year = chrono::Datelike::year(&today);
    let first_year = last_year - sessions as i32 + 1;
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        // Later sessions have a few more proposals; numbers run per session.
        let s = (k * sessions) / n.max(1);
        let number = 1001 + k - (s * n) / sessions;
        let (session_name, year, assigned) = session(s, first_year);
        let issue = rng.pick(ISSUES);
        let place = rng.pick(PLACES);
        let title = format!("关于{}的建议", rng.pick(issue.titles));
        let mut text = format!("{GENERATED}{place}");
        text.push_str(rng.pick_str(issue.problems));
        text.push('，');
        text.push_str(rng.pick_str(issue.problems));
        text.push_str("。建议");
        text.push_str(rng.pick_str(issue.suggestions));
        text.push('，');
        text.push_str(rng.pick_str(issue.suggestions));
        text.push('。');
        if s > 0 && rng.chance(0.3) {
            text.push_str("此前会议已提出类似建议，答复后问题仍未根本解决。");
        }
        let co: Vec<String> = (0..rng.below(5)).map(|_| deputy(&mut rng)).collect();
        let deadline_passed = lifecycle_deadline(assigned) < today;
        // Older sessions are closed; the latest is partly open.
        let (status, replied) = if !deadline_passed {
            match rng.below(10) {
                0..=3 => ("已交办", None),
                4..=5 => ("已签收", None),
                6..=8 => ("办理中", None),
                _ => (
                    "已答复",
                    Some(assigned + chrono::Days::new(40 + rng.below(40) as u64)),
                ),
            }
        } else if s + 1 == sessions && rng.chance(0.06) {
            ("办理中", None)
        } else {
            let when = assigned + chrono::Days::new(30 + rng.below(60) as u64);
            (
                if rng.chance(0.9) {
                    "已办结"
                } else {
                    "已答复"
                },
                Some(when),
            )
        };
        let replied = replied.filter(|d| *d <= today);
        let status = if replied.is_none() && matches!(status, "已答复" | "已办结") {
            "办理中"
        } else {
            status
        };
        let grade = replied.map(|_| *rng.pick(&["A", "A", "A", "B", "B", "B", "C", "C", "D"]));
        let satisfaction = replied.map(|_| {
            *rng.pick(&[
                "满意",
                "满意",
                "满意",
                "满意",
                "满意",
                "满意",
                "满意",
                "基本满意",
                "基本满意",
                "不满意",
            ])
        });
        let reply_text = replied
            .map(|_| {
                format!(
                    "{GENERATED}{}已会同{}研究办理，{}。",
                    issue.unit,
                    issue.co_unit,
                    rng.pick(issue.suggestions)
                )
            })
            .unwrap_or_default();
        let key = rng.chance(0.03);
        let row: Vec<String> = Column::ALL
            .iter()
            .map(|c| match c {
                Column::Number => number.to_string(),
                Column::Session => session_name.clone(),
                Column::Year => year.to_string(),
                Column::Kind => "代表建议".into(),
                Column::Title => title.clone(),
                Column::Text => text.clone(),
                Column::Lead => format!("{}（生成）", deputy(&mut rng)),
                Column::CoSigners => co.join("、"),
                Column::Delegation => rng.pick(DELEGATIONS).to_string(),
                Column::Category => issue.category.into(),
                Column::LeadUnit => issue.unit.into(),
                Column::CoUnits => issue.co_unit.into(),
                Column::Assigned => assigned.to_string(),
                Column::Deadline => String::new(),
                Column::Status => status.into(),
                Column::ReplyDate => replied.map(|d| d.to_string()).unwrap_or_default(),
                Column::ReplyText => reply_text.clone(),
                Column::Grade => grade.unwrap_or_default().into(),
                Column::Satisfaction => satisfaction.unwrap_or_default().into(),
                Column::KeySupervision => if key { "是" } else { "否" }.into(),
                Column::Public => "是".into(),
                Column::Supervisor => if key { "财政经济委员会" } else { "" }.into(),
            })
            .collect();
        out.push(row);
    }
    out
}

fn lifecycle_deadline(assigned: Date) -> Date {
    super::lifecycle::add_months(assigned, super::lifecycle::HANDLING_MONTHS).unwrap_or(assigned)
}

/// Generated rows as a JSON array of objects with the Chinese headers.
pub fn to_json(rows: &[Vec<String>]) -> String {
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::Value::Object(
                Column::ALL
                    .iter()
                    .zip(r)
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(c, v)| (c.label().to_string(), serde_json::Value::String(v.clone())))
                    .collect(),
            )
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proposals::import::{TableFormat, parse};
    use crate::proposals::model::ProposalId;

    #[test]
    fn generated_rows_import_cleanly_and_are_marked() {
        let today = Date::from_ymd_opt(2026, 5, 1).unwrap();
        let rows = rows(300, 7, today);
        assert_eq!(rows, super::rows(300, 7, today), "seeded");
        let bytes =
            crate::proposals::export::write(&rows, crate::proposals::export::ExportFormat::Csv)
                .unwrap();
        let doc = |id: &ProposalId| crate::model::DocId(id.0.clone());
        let parsed = parse(TableFormat::Csv, &bytes, "gen.csv", &doc).unwrap();
        assert!(
            parsed.errors.is_empty(),
            "{:?}",
            &parsed.errors[..parsed.errors.len().min(3)]
        );
        assert_eq!(parsed.rows.len(), 300);
        assert!(
            parsed
                .rows
                .iter()
                .all(|r| r.proposal.text.starts_with(GENERATED))
        );
        let sessions: std::collections::BTreeSet<_> = parsed
            .rows
            .iter()
            .map(|r| r.proposal.session.key())
            .collect();
        assert_eq!(sessions.len(), 5);
    }
}
