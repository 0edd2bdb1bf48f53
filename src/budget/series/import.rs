//! Series imported from a CSV or XLSX table: one value a row, under a header naming the columns 年份, 指标,
//! 数值 and 单位 (or year, indicator, value, unit), with an optional 类型 (目标 or 实际; 实际 when absent).
//! An indicator named as in the catalog (赤字率, deficit_ratio) joins the series read from the reports.

use super::{Catalog, Kind, SeriesValue, Source};
use crate::proposals::import::{TableFormat, raw_rows};
use std::path::Path;

/// Why a file could not be read as a series table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("文件不是 CSV 或 XLSX 表格")]
    Format,
    #[error("文件无法读取：{0}")]
    Unreadable(String),
    #[error("找不到表头：需要 年份、指标、数值 三列（单位、类型 可选）")]
    NoHeader,
}

/// A row that was not taken, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub reason: String,
}

/// What a file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    pub values: Vec<SeriesValue>,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Year,
    Indicator,
    Value,
    Unit,
    Kind,
}

fn column(header: &str) -> Option<Column> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    Some(match h.as_str() {
        "年份" | "年度" | "年" | "year" => Column::Year,
        "指标" | "指标名称" | "项目" | "indicator" => Column::Indicator,
        "数值" | "值" | "金额" | "value" => Column::Value,
        "单位" | "unit" => Column::Unit,
        "类型" | "口径" | "kind" => Column::Kind,
        _ => return None,
    })
}

/// Reads a series table. `file` is recorded as each value's source; indicators named as in `catalog` take
/// the catalog's id and, without a unit column, its unit.
pub fn parse(path: &Path, bytes: &[u8], catalog: &Catalog) -> Result<Imported, ImportError> {
    let format = match TableFormat::of(path) {
        Some(f @ (TableFormat::Csv | TableFormat::Xlsx)) => f,
        _ => return Err(ImportError::Format),
    };
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let rows = raw_rows(format, bytes).map_err(|e| ImportError::Unreadable(e.to_string()))?;
    let mut header: Option<Vec<Option<Column>>> = None;
    let mut out = Imported::default();
    for (line, cells) in rows {
        let Some(cols) = &header else {
            let cols: Vec<Option<Column>> = cells.iter().map(|c| column(c)).collect();
            if [Column::Year, Column::Indicator, Column::Value]
                .iter()
                .all(|c| cols.contains(&Some(*c)))
            {
                header = Some(cols);
            }
            continue;
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |want: Column| {
            cols.iter()
                .position(|c| *c == Some(want))
                .and_then(|i| cells.get(i))
                .map(|s| s.trim())
                .unwrap_or("")
        };
        match row(
            cell(Column::Year),
            cell(Column::Indicator),
            cell(Column::Value),
            cell(Column::Unit),
            cell(Column::Kind),
            catalog,
        ) {
            Ok((indicator, year, kind, value, unit)) => out.values.push(SeriesValue {
                indicator,
                year,
                kind,
                value,
                upper: None,
                qualifier: None,
                unit,
                source: Source::Import {
                    file: file.clone(),
                    line,
                },
            }),
            Err(reason) => out.errors.push(RowError { line, reason }),
        }
    }
    if header.is_none() {
        return Err(ImportError::NoHeader);
    }
    Ok(out)
}

type RowValue = (String, i32, Kind, f64, String);

fn row(
    year: &str,
    indicator: &str,
    value: &str,
    unit: &str,
    kind: &str,
    catalog: &Catalog,
) -> Result<RowValue, String> {
    let year: i32 = year
        .trim_end_matches('年')
        .parse()
        .ok()
        .filter(|y| (1900..=2200).contains(y))
        .ok_or_else(|| format!("年份「{year}」无效"))?;
    if indicator.is_empty() {
        return Err("缺少指标名称".into());
    }
    let value: f64 = value
        .replace([',', '，'], "")
        .trim_end_matches('%')
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("数值「{value}」无效"))?;
    let kind = match kind {
        "" => Kind::Outcome,
        k => Kind::parse(k).ok_or_else(|| format!("类型「{k}」无效，应为目标或实际"))?,
    };
    let known = catalog.indicator(indicator);
    let unit = match (unit, known) {
        ("", Some(ind)) => ind.unit.clone(),
        (u, _) => u.to_string(),
    };
    if let Some(ind) = known
        && ind.unit != unit
    {
        return Err(format!(
            "指标「{}」的单位应为{}，文件中为「{unit}」",
            ind.name, ind.unit
        ));
    }
    let indicator = known.map_or_else(|| indicator.to_string(), |i| i.id.clone());
    Ok((indicator, year, kind, value, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_with_chinese_headers_becomes_values_and_bad_rows_are_reported() {
        let csv = "\u{feff}年份,指标,数值,单位\n2016,赤字率,3,%\n2016,国债余额,120067,亿元\n20x6,赤字率,3,%\n2017,财政赤字,23800,万元\n";
        let got = parse(Path::new("a.csv"), csv.as_bytes(), &Catalog::builtin()).unwrap();
        assert_eq!(got.values.len(), 2);
        assert_eq!(got.values[0].indicator, "deficit_ratio");
        assert_eq!(got.values[0].kind, Kind::Outcome);
        assert_eq!(got.values[1].indicator, "国债余额");
        assert_eq!(got.values[1].value, 120067.0);
        assert_eq!(
            got.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert!(parse(Path::new("a.csv"), b"a,b\n1,2\n", &Catalog::builtin()).is_err());
    }
}
