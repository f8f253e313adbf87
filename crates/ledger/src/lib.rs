//! Ledger (台账) files: reading xlsx/xls/ods/csv into a [`Table`] of cells, and writing
//! tables as xlsx or csv. What the columns mean lives in `wuye_domain::ledger`.
//!
//! Reading detects the format from the bytes, not the file name: a zip is a workbook, an
//! OLE file is a legacy `.xls`, anything else must be text (UTF-8, or GB18030 as Excel
//! saves CSV on Chinese Windows). Binary junk is refused with a clear message.

#![forbid(unsafe_code)]

use calamine::{Data, Reader};
use std::io::Cursor;
pub use wuye_domain::ledger::{Cell, Table};

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("文件为空")]
    Empty,
    #[error("不是 xlsx 或 csv 文件（无法识别的二进制内容）")]
    NotASpreadsheet,
    #[error("无法读取 Excel 文件: {0}")]
    Workbook(String),
    #[error("找不到工作表「{wanted}」，文件中的工作表: {}", .found.join("、"))]
    NoSuchSheet { wanted: String, found: Vec<String> },
    #[error("CSV 第 {line} 行格式错误: {reason}")]
    Csv { line: u64, reason: String },
    #[error("没有表头行")]
    NoHeader,
}

/// The format a file was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Workbook,
    Csv,
}

/// Recognises a file's format from its first bytes.
pub fn sniff(bytes: &[u8]) -> Result<Format, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Ok(Format::Workbook);
    }
    let probe = &bytes[..bytes.len().min(64 * 1024)];
    let control = probe.iter().filter(|&&b| b < 0x09 || (b > 0x0D && b < 0x20)).count();
    if probe.contains(&0) || control * 100 > probe.len() {
        return Err(ReadError::NotASpreadsheet);
    }
    Ok(Format::Csv)
}

/// Reads a workbook or CSV file. For a workbook, `sheet` names the sheet to read: when the
/// workbook has a sheet of that name it is read, otherwise a workbook with exactly one
/// sheet is read whatever its name, otherwise it is an error naming the sheets found.
/// The header is the first non-empty row.
pub fn read_table(bytes: &[u8], sheet: &str) -> Result<Table, ReadError> {
    match sniff(bytes)? {
        Format::Workbook => read_workbook(bytes, sheet),
        Format::Csv => read_csv(bytes),
    }
}

fn convert(d: &Data) -> Cell {
    match d {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(x) => Cell::DateTime(x),
            None => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
    }
}

fn read_workbook(bytes: &[u8], sheet: &str) -> Result<Table, ReadError> {
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| ReadError::Workbook(e.to_string()))?;
    let names = wb.sheet_names();
    let name = if names.iter().any(|n| n == sheet) {
        sheet.to_string()
    } else if names.len() == 1 {
        names[0].clone()
    } else {
        return Err(ReadError::NoSuchSheet { wanted: sheet.to_string(), found: names });
    };
    let range = wb.worksheet_range(&name).map_err(|e| ReadError::Workbook(e.to_string()))?;
    let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    let mut rows = range.rows().enumerate().map(|(i, r)| {
        let mut cells: Vec<Cell> = std::iter::repeat_n(Cell::Empty, first_col).collect();
        cells.extend(r.iter().map(convert));
        (first_row + i + 1, cells)
    });
    let headers = loop {
        match rows.next() {
            None => return Err(ReadError::NoHeader),
            Some((_, cells)) => {
                if cells.iter().any(|c| !matches!(c, Cell::Empty)) {
                    break cells.iter().map(|c| wuye_domain::ledger::cell_text(c).unwrap_or_default()).collect::<Vec<_>>();
                }
            }
        }
    };
    let rows: Vec<(usize, Vec<Cell>)> = rows.filter(|(_, c)| c.iter().any(|x| wuye_domain::ledger::cell_text(x).is_some())).collect();
    Ok(Table { sheet: name, headers, rows })
}

/// Decodes text as UTF-8 (BOM stripped) or, failing that, GB18030.
pub fn decode_text(bytes: &[u8]) -> String {
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(b).0.into_owned(),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, ReadError> {
    let text = decode_text(bytes);
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(ReadError::Csv { line, reason: e.to_string() });
            }
        }
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(rows.len() + 1);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match &headers {
            None => headers = Some(rec.iter().map(|s| s.trim().to_string()).collect()),
            Some(_) => rows.push((line, rec.iter().map(|s| if s.is_empty() { Cell::Empty } else { Cell::Text(unguard(s).to_string()) }).collect())),
        }
    }
    let headers = headers.ok_or(ReadError::Empty)?;
    Ok(Table { sheet: String::new(), headers, rows })
}

/// A value to write into a ledger file.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Empty,
    /// Written as text, so ID numbers and room numbers such as 0501 keep every digit.
    Text(String),
    Int(i64),
    /// Hundredths (m² or 元), written as a number with two decimals.
    Hundredths(i64),
}

impl From<String> for Out {
    fn from(s: String) -> Out {
        if s.is_empty() { Out::Empty } else { Out::Text(s) }
    }
}
impl From<&str> for Out {
    fn from(s: &str) -> Out {
        Out::from(s.to_string())
    }
}
impl From<Option<String>> for Out {
    fn from(s: Option<String>) -> Out {
        s.map(Out::from).unwrap_or(Out::Empty)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("写入 Excel 失败: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("写入 CSV 失败: {0}")]
    Csv(#[from] csv::Error),
}

/// Writes rows under `headers` as an xlsx workbook with one sheet named `sheet`: bold
/// frozen header, text for codes, two decimals for hundredths. Streams rows to a temporary
/// file (constant memory), so a million rows do not need a million rows of memory.
pub fn write_xlsx(sheet: &str, headers: &[&str], rows: impl IntoIterator<Item = Vec<Out>>) -> Result<Vec<u8>, WriteError> {
    use rust_xlsxwriter::{Format as XFormat, Workbook};
    let mut wb = Workbook::new();
    let bold = XFormat::new().set_bold().set_background_color(0xE8EEF7);
    let two = XFormat::new().set_num_format("0.00");
    let text = XFormat::new().set_num_format("@");
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(sheet)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        let w = (h.chars().count() as f64 * 2.2).clamp(8.0, 40.0);
        ws.set_column_width(c as u16, w)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (i, row) in rows.into_iter().enumerate() {
        let r = (i + 1) as u32;
        for (c, v) in row.into_iter().enumerate() {
            let c = c as u16;
            match v {
                Out::Empty => {}
                Out::Text(s) => {
                    ws.write_string_with_format(r, c, s, &text)?;
                }
                Out::Int(n) => {
                    ws.write_number(r, c, n as f64)?;
                }
                Out::Hundredths(h) => {
                    ws.write_number_with_format(r, c, h as f64 / 100.0, &two)?;
                }
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// Writes rows as UTF-8 CSV with a byte-order mark (so Excel opens Chinese text correctly).
/// Whether a spreadsheet would read a text cell as a formula (CSV injection, OWASP): it
/// starts with `=`, `+`, `@`, a tab or a carriage return, or with `-` and is not a plain
/// number.
fn formula_like(s: &str) -> bool {
    match s.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => s[1..].parse::<f64>().is_err(),
        _ => false,
    }
}

/// A text cell as written to CSV: a formula-like one gets a leading `'`, which spreadsheets
/// show as text and [`read_csv`] takes off again.
fn guard(s: &str) -> String {
    if formula_like(s) { format!("'{s}") } else { s.to_string() }
}

/// The inverse of [`guard`].
fn unguard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => s,
    }
}

pub fn write_csv(headers: &[&str], rows: impl IntoIterator<Item = Vec<Out>>) -> Result<Vec<u8>, WriteError> {
    let mut buf = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        w.write_record(headers)?;
        for row in rows {
            w.write_record(row.iter().map(|v| match v {
                Out::Empty => String::new(),
                Out::Text(s) => guard(s),
                Out::Int(n) => n.to_string(),
                Out::Hundredths(h) => wuye_domain::units::format_hundredths(*h),
            }))?;
        }
        w.flush().map_err(csv::Error::from)?;
    }
    Ok(buf)
}

/// One sheet of a workbook written by [`write_xlsx_sheets`].
pub struct Sheet<'a> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub rows: Vec<Vec<Out>>,
}

/// Writes several sheets into one xlsx workbook, each as [`write_xlsx`] writes its one
/// (bold frozen header, text for codes, two decimals for hundredths). For ledgers of
/// modest size (rows are held in memory).
pub fn write_xlsx_sheets(sheets: Vec<Sheet<'_>>) -> Result<Vec<u8>, WriteError> {
    use rust_xlsxwriter::{Format as XFormat, Workbook};
    let mut wb = Workbook::new();
    let bold = XFormat::new().set_bold().set_background_color(0xE8EEF7);
    let two = XFormat::new().set_num_format("0.00");
    let text = XFormat::new().set_num_format("@");
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(s.name)?;
        for (c, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
            ws.set_column_width(c as u16, (h.chars().count() as f64 * 2.2).clamp(8.0, 40.0))?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (i, row) in s.rows.into_iter().enumerate() {
            let r = (i + 1) as u32;
            for (c, v) in row.into_iter().enumerate() {
                let c = c as u16;
                match v {
                    Out::Empty => {}
                    Out::Text(t) => {
                        ws.write_string_with_format(r, c, t, &text)?;
                    }
                    Out::Int(n) => {
                        ws.write_number(r, c, n as f64)?;
                    }
                    Out::Hundredths(h) => {
                        ws.write_number_with_format(r, c, h as f64 / 100.0, &two)?;
                    }
                }
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xlsx_round_trip_keeps_text_and_areas() {
        let rows = vec![vec![Out::from("0501"), Out::Hundredths(9456), Out::from("640104199001011234"), Out::Int(3)]];
        let bytes = write_xlsx("房屋", &["房号", "建筑面积(m²)", "证件号码", "楼层"], rows).unwrap();
        let t = read_table(&bytes, "房屋").unwrap();
        assert_eq!(t.headers, vec!["房号", "建筑面积(m²)", "证件号码", "楼层"]);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].0, 2);
        assert_eq!(t.rows[0].1[0], Cell::Text("0501".into()));
        assert_eq!(t.rows[0].1[1], Cell::Number(94.56));
        assert_eq!(t.rows[0].1[2], Cell::Text("640104199001011234".into()));
    }

    #[test]
    fn csv_cells_that_look_like_formulas_stay_text() {
        let evil = "=HYPERLINK(\"http://evil\",\"点我\")";
        let cells = [evil, "+1", "@SUM(A1)", "-1+2", "-12.5", "0501", "'引号"];
        let bytes = write_csv(&["标题"], cells.iter().map(|c| vec![Out::from(*c)])).unwrap();
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.contains("\"'=HYPERLINK(") && text.contains("'+1") && text.contains("'@SUM") && text.contains("'-1+2"), "{text}");
        assert!(text.contains("\n-12.5\n") && text.contains("\n'引号\n"), "{text}");
        let t = read_table(&bytes, "").unwrap();
        let back: Vec<Cell> = t.rows.into_iter().map(|r| r.1[0].clone()).collect();
        assert_eq!(back, cells.iter().map(|c| Cell::Text(c.to_string())).collect::<Vec<_>>(), "round trip");
    }

    #[test]
    fn csv_utf8_bom_and_gbk() {
        let bytes = write_csv(&["房号", "面积"], vec![vec![Out::from("0501"), Out::Hundredths(9456)]]).unwrap();
        let t = read_table(&bytes, "x").unwrap();
        assert_eq!(t.headers, vec!["房号", "面积"]);
        assert_eq!(t.rows[0].1[1], Cell::Text("94.56".into()));
        let (gbk, _, _) = encoding_rs::GB18030.encode("房号,面积\n0501,94.56\n");
        let t = read_table(&gbk, "x").unwrap();
        assert_eq!(t.headers, vec!["房号", "面积"]);
        assert_eq!(t.rows[0], (2, vec![Cell::Text("0501".into()), Cell::Text("94.56".into())]));
    }

    #[test]
    fn junk_and_empty_are_refused() {
        let junk: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
        assert!(matches!(read_table(&junk, "x"), Err(ReadError::NotASpreadsheet)));
        assert!(matches!(read_table(b"", "x"), Err(ReadError::Empty)));
        assert!(matches!(read_table(b"PK\x03\x04garbage", "x"), Err(ReadError::Workbook(_))));
    }

    #[test]
    fn wrong_sheet_is_named() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().set_name("甲").unwrap();
        wb.add_worksheet().set_name("乙").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        match read_table(&bytes, "资产信息") {
            Err(ReadError::NoSuchSheet { found, .. }) => assert_eq!(found, vec!["甲", "乙"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_the_real_hc_template() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets/hc-templates/importRoom.xlsx")).unwrap();
        let t = read_table(&bytes, "资产信息").unwrap();
        assert_eq!(t.sheet, "资产信息");
        let b = wuye_domain::ledger::HC_ROOMS.bind(&t).unwrap();
        assert!(b.has("hc_owner_type"));
    }
}

