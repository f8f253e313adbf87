//! Ledger (台账) layouts: the columns of every import and export file, and how one row of
//! cells becomes a validated record. File formats are read elsewhere (crate `wuye-ledger`);
//! here a sheet is already a [`Table`] of [`Cell`]s.
//!
//! Every problem names the sheet row (1-based, as Excel shows it), the column header, the
//! value and the reason ([`CellError`]). Layouts are documented in `docs/import-layouts.md`.

use crate::ids;
use crate::region::RegionCode;
use crate::registry::*;
use crate::units::{f64_to_hundredths, parse_hundredths};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;
use std::collections::HashMap;

/// One spreadsheet cell as read from xlsx or csv.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    DateTime(NaiveDateTime),
}

/// A sheet: its header row and data rows, each with its 1-based row number.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub sheet: String,
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<Cell>)>,
}

/// A problem with one cell (or one row, when `column` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CellError {
    /// Row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// Column header, e.g. `身份证号`.
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "第 {} 行: {}", self.row, self.reason)
        } else {
            write!(f, "第 {} 行「{}」{:?}: {}", self.row, self.column, self.value, self.reason)
        }
    }
}

/// A problem with the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("文件为空，没有数据行")]
    Empty,
    #[error("缺少必填列: {}（表头应为: {}）", .missing.join("、"), .expected.join("、"))]
    MissingColumns { missing: Vec<String>, expected: Vec<String> },
    #[error("表头「{0}」出现了两次")]
    DuplicateColumn(String),
    #[error("{0}")]
    Format(String),
}

/// One column of a layout.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Field key (as in the API).
    pub key: &'static str,
    /// Header as written in exports.
    pub header: &'static str,
    /// Other headers accepted on import.
    pub aliases: &'static [&'static str],
    pub required: bool,
    /// What goes in the column, for the layout documentation.
    pub note: &'static str,
}

const fn col(key: &'static str, header: &'static str, required: bool, note: &'static str) -> Column {
    Column { key, header, aliases: &[], required, note }
}
const fn cola(key: &'static str, header: &'static str, aliases: &'static [&'static str], required: bool, note: &'static str) -> Column {
    Column { key, header, aliases, required, note }
}

/// The layouts Wuye reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LayoutKind {
    Estates,
    Houses,
    Enterprises,
    Contracts,
    /// HC小区管理系统 `importRoom.xlsx`, sheet 资产信息.
    HcRooms,
}

/// A file layout: sheet name (for xlsx) and columns.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub kind: LayoutKind,
    pub title: &'static str,
    pub sheet: &'static str,
    pub columns: &'static [Column],
}

pub const ESTATES: Layout = Layout {
    kind: LayoutKind::Estates,
    title: "小区",
    sheet: "小区",
    columns: &[
        col("name", "小区名称", true, "同一社区内唯一"),
        cola("region_code", "社区代码", &["所在社区代码", "区划代码"], true, "所在村/社区的 12 位统计用区划代码"),
        col("region_name", "所在社区", false, "导出时填写，导入时忽略"),
        col("address", "地址", false, ""),
        col("kind", "小区类型", false, "商品房/安置房/老旧小区/单体楼/保障性住房/其他，空为其他"),
        col("year_built", "建成年份", false, "四位年份"),
        cola("land_area", "占地面积(m²)", &["占地面积"], false, "平方米，最多两位小数"),
        cola("building_area", "建筑面积(m²)", &["建筑面积", "总建筑面积"], true, "平方米，大于 0"),
        cola("has_elevator", "有无电梯", &["是否有电梯"], false, "有/无，空为无"),
        col("management", "管理方式", false, "物业服务企业/业主自管/无人管理，空为无人管理"),
    ],
};

pub const HOUSES: Layout = Layout {
    kind: LayoutKind::Houses,
    title: "房屋及业主",
    sheet: "房屋",
    columns: &[
        col("estate_name", "小区名称", false, "未用 --estate 指定小区时必填"),
        cola("region_code", "社区代码", &["所在社区代码"], false, "未用 --estate 指定小区时必填"),
        cola("building_no", "楼栋", &["楼号", "楼栋号"], true, "如 3 或 3号楼"),
        cola("unit_no", "单元", &["单元号"], false, "如 2；商铺等不在单元内的留空或填 0"),
        cola("room_no", "房号", &["房间", "房间号"], true, "按文本保存，0501 不会变成 501"),
        col("floor", "楼层", false, "整数，地下为负数"),
        col("total_floors", "总层数", false, "楼栋总层数"),
        cola("elevator", "电梯", &["是否有电梯", "有无电梯"], false, "楼栋有无电梯：有/无"),
        cola("building_area", "建筑面积(m²)", &["建筑面积"], true, "平方米，大于 0"),
        cola("exclusive_area", "专有面积(m²)", &["专有面积", "专有部分面积", "套内面积", "室内面积"], true, "平方米，大于 0 且不大于建筑面积"),
        cola("house_use", "用途", &["房屋用途"], false, "住宅/商业/车库/其他，空为住宅"),
        cola("status", "状态", &["房屋状态"], false, "未售/已售/已交付，空为已交付"),
        col("owner_kind", "业主类型", false, "个人/单位，空为个人"),
        cola("owner_name", "业主名称", &["业主姓名", "业主"], false, "共有人各占一行，房屋信息重复填写"),
        cola("id_number", "证件号码", &["身份证号", "统一社会信用代码"], false, "个人填身份证号，单位填统一社会信用代码"),
        cola("phone", "手机号", &["联系电话", "电话"], false, "11 位手机号或 区号-号码"),
    ],
};

pub const ENTERPRISES: Layout = Layout {
    kind: LayoutKind::Enterprises,
    title: "物业服务企业",
    sheet: "物业服务企业",
    columns: &[
        cola("name", "企业名称", &["名称"], true, ""),
        cola("uscc", "统一社会信用代码", &["信用代码"], true, "18 位，校验位按 GB 32100"),
        cola("legal_representative", "法定代表人", &["法人"], false, ""),
        cola("region_code", "注册地区划代码", &["区划代码"], false, "任一级统计用区划代码"),
        col("region_name", "注册地", false, "导出时填写，导入时忽略"),
        col("contact_person", "联系人", false, ""),
        col("contact_phone", "联系电话", false, ""),
        col("address", "地址", false, ""),
    ],
};

pub const CONTRACTS: Layout = Layout {
    kind: LayoutKind::Contracts,
    title: "物业服务合同",
    sheet: "物业服务合同",
    columns: &[
        col("estate_name", "小区名称", true, ""),
        cola("region_code", "社区代码", &["所在社区代码"], true, "小区所在社区的 12 位代码"),
        cola("enterprise_uscc", "企业统一社会信用代码", &["统一社会信用代码"], true, "须已登记"),
        col("enterprise_name", "企业名称", false, "导出时填写，导入时忽略"),
        col("kind", "合同类型", true, "前期物业/物业服务"),
        col("start_date", "开始日期", true, "2024-05-01 或 Excel 日期"),
        col("end_date", "结束日期", false, "含当日；空为不定期"),
        cola("fee", "物业费(元/m²·月)", &["物业费", "收费标准"], true, "元，最多两位小数"),
        col("fee_model", "计费方式", true, "包干制/酬金制"),
    ],
};

/// HC小区管理系统 `importRoom.xlsx` (java110/MicroCommunityWeb, Apache-2.0), sheet 资产信息.
pub const HC_ROOMS: Layout = Layout {
    kind: LayoutKind::HcRooms,
    title: "HC 资产信息",
    sheet: "资产信息",
    columns: &[
        col("building_no", "楼号", true, "楼栋编号"),
        col("unit_no", "单元", true, "商铺填 0"),
        col("room_no", "房间", true, ""),
        col("floor", "楼层", true, ""),
        col("total_floors", "总层数", false, ""),
        col("elevator", "是否有电梯", false, "有/无"),
        col("hc_house_type", "房屋类型", false, "110 住宅 / 120 办公室 / 119 宿舍"),
        col("hc_layout", "房屋户型", false, "忽略"),
        col("building_area", "建筑面积", true, ""),
        col("exclusive_area", "室内面积", true, "作为专有面积"),
        col("hc_rent", "租金", false, "忽略"),
        col("hc_status", "房屋状态", true, "2001–2009，见文档映射"),
        col("owner_name", "业主名称", false, ""),
        col("hc_gender", "性别", false, "忽略（最小必要原则，不保存）"),
        col("phone", "手机号", false, "18999999999 视为未填"),
        col("id_number", "身份证号", false, "111111111111111111 视为未填"),
        col("hc_owner_type", "业主类型", false, "1001 业主 / 1002 家庭成员 / 1003 租客 / 1004 临时人员"),
    ],
};

pub const ALL_LAYOUTS: [Layout; 5] = [ESTATES, HOUSES, ENTERPRISES, CONTRACTS, HC_ROOMS];

impl Layout {
    pub fn headers(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.header).collect()
    }

    /// Maps the table's headers onto this layout's columns. Errors when a required column
    /// is missing or a header repeats; unknown headers are ignored.
    pub fn bind<'t>(&self, table: &'t Table) -> Result<Bound<'t>, FileError> {
        let mut idx: HashMap<&'static str, (usize, &'static str)> = HashMap::new();
        let norm = |s: &str| s.trim().replace([' ', '\u{3000}', '*'], "");
        for (i, h) in table.headers.iter().enumerate() {
            let h = norm(h);
            if h.is_empty() {
                continue;
            }
            if let Some(c) = self.columns.iter().find(|c| c.header == h || c.aliases.contains(&h.as_str())) {
                if idx.insert(c.key, (i, c.header)).is_some() {
                    return Err(FileError::DuplicateColumn(h));
                }
            }
        }
        let missing: Vec<String> =
            self.columns.iter().filter(|c| c.required && !idx.contains_key(c.key)).map(|c| c.header.to_string()).collect();
        if !missing.is_empty() {
            return Err(FileError::MissingColumns { missing, expected: self.headers().iter().map(|s| s.to_string()).collect() });
        }
        if table.rows.is_empty() {
            return Err(FileError::Empty);
        }
        Ok(Bound { table, idx })
    }
}

/// A table bound to a layout.
pub struct Bound<'t> {
    pub table: &'t Table,
    idx: HashMap<&'static str, (usize, &'static str)>,
}

impl<'t> Bound<'t> {
    pub fn has(&self, key: &str) -> bool {
        self.idx.contains_key(key)
    }

    pub fn rows(&self) -> impl Iterator<Item = RowView<'_>> {
        self.table.rows.iter().map(move |(n, cells)| RowView { row: *n, cells, idx: &self.idx, errors: Vec::new() })
    }
}

/// One data row, with typed accessors that record a [`CellError`] on bad input.
pub struct RowView<'a> {
    pub row: usize,
    cells: &'a [Cell],
    idx: &'a HashMap<&'static str, (usize, &'static str)>,
    pub errors: Vec<CellError>,
}

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

/// A cell as text: numbers without a fractional part lose their `.0`, blanks are `None`.
pub fn cell_text(c: &Cell) -> Option<String> {
    match c {
        Cell::Empty => None,
        Cell::Text(s) => {
            let t = s.trim();
            if t.is_empty() { None } else { Some(t.to_string()) }
        }
        Cell::Number(f) => Some(number_text(*f)),
        Cell::Bool(b) => Some(if *b { "是" } else { "否" }.to_string()),
        Cell::DateTime(d) => Some(d.date().to_string()),
    }
}

/// Excel's 1900 date system: serial 1 = 1900-01-01, with the fictitious 1900-02-29
/// (serial 60), so from serial 61 on the date is 1899-12-30 + serial days.
pub fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let d = if days < 60 { days + 1 } else { days };
    base.checked_add_signed(chrono::Duration::days(d))
}

/// Parses a date written as `2024-05-01`, `2024/5/1`, `2024.5.1`, `2024年5月1日`,
/// `20240501`, or an Excel serial number given as text (`45413`).
pub fn parse_date_text(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    let t = t.split(|c| c == ' ' || c == 'T').next().unwrap_or(t);
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    if t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<f64>().ok().and_then(excel_serial_date).filter(|d| d.year() >= 1950);
    }
    let u: String = t.chars().map(|c| if matches!(c, '/' | '.' | '年' | '月') { '-' } else { c }).filter(|c| *c != '日').collect();
    let mut it = u.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

impl<'a> RowView<'a> {
    fn cell(&self, key: &str) -> (&'static str, &Cell) {
        match self.idx.get(key) {
            Some((i, h)) => (h, self.cells.get(*i).unwrap_or(&Cell::Empty)),
            None => ("", &Cell::Empty),
        }
    }

    pub fn err(&mut self, key: &str, value: impl Into<String>, reason: impl Into<String>) {
        let header = self.idx.get(key).map(|(_, h)| *h).unwrap_or(key);
        self.errors.push(CellError { row: self.row, column: header.to_string(), value: value.into(), reason: reason.into() });
    }

    pub fn row_err(&mut self, reason: impl Into<String>) {
        self.errors.push(CellError { row: self.row, column: String::new(), value: String::new(), reason: reason.into() });
    }

    /// Records a field error from a record validator against the column of that field.
    pub fn field_err(&mut self, e: FieldError) {
        let key = match e.field {
            "name" if self.idx.contains_key("estate_name") && !self.idx.contains_key("name") => "estate_name",
            "uscc" if !self.idx.contains_key("uscc") => "id_number",
            "fee_fen_per_m2_month" => "fee",
            k => k,
        };
        self.err(key, e.value, e.reason);
    }

    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| cell_text(c).is_none())
    }

    pub fn text(&self, key: &str) -> Option<String> {
        cell_text(self.cell(key).1)
    }

    pub fn text_or_empty(&self, key: &str) -> String {
        self.text(key).unwrap_or_default()
    }

    pub fn required_text(&mut self, key: &str) -> Option<String> {
        let v = self.text(key);
        if v.is_none() {
            self.err(key, "", "必填");
        }
        v
    }

    /// A quantity in hundredths (m² or 元): numbers or text, at most two decimals.
    pub fn hundredths(&mut self, key: &str) -> Option<i64> {
        let (_, c) = self.cell(key);
        let r = match c {
            Cell::Empty => return None,
            Cell::Number(f) => f64_to_hundredths(*f),
            other => match cell_text(other) {
                None => return None,
                Some(t) => parse_hundredths(&t),
            },
        };
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                let v = cell_text(c).unwrap_or_default();
                self.err(key, v, e.to_string());
                None
            }
        }
    }

    pub fn required_hundredths(&mut self, key: &str) -> Option<i64> {
        if self.text(key).is_none() {
            self.err(key, "", "必填");
            return None;
        }
        self.hundredths(key)
    }

    /// A whole number given as a number or as text.
    pub fn int(&mut self, key: &str) -> Option<i64> {
        let (_, c) = self.cell(key);
        match c {
            Cell::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(*f as i64),
            other => {
                let t = cell_text(other)?;
                match t.parse::<i64>() {
                    Ok(v) => Some(v),
                    Err(_) => {
                        self.err(key, t, "应为整数");
                        None
                    }
                }
            }
        }
    }

    /// A date given as a date cell, an Excel serial number, or text.
    pub fn date(&mut self, key: &str) -> Option<NaiveDate> {
        let (_, c) = self.cell(key);
        let r = match c {
            Cell::Empty => return None,
            Cell::DateTime(d) => Some(d.date()),
            Cell::Number(f) => excel_serial_date(*f),
            other => parse_date_text(&cell_text(other)?),
        };
        if r.is_none() {
            let v = cell_text(c).unwrap_or_default();
            self.err(key, v, "不是有效日期（如 2024-05-01）");
        }
        r
    }

    pub fn required_date(&mut self, key: &str) -> Option<NaiveDate> {
        if self.text(key).is_none() {
            self.err(key, "", "必填");
            return None;
        }
        self.date(key)
    }

    /// 有/无, 是/否, Y/N, true/false, 1/0.
    pub fn yes_no(&mut self, key: &str) -> Option<bool> {
        let (_, c) = self.cell(key);
        if let Cell::Bool(b) = c {
            return Some(*b);
        }
        let t = self.text(key)?;
        match t.to_lowercase().as_str() {
            "有" | "是" | "y" | "yes" | "true" | "1" => Some(true),
            "无" | "否" | "没有" | "n" | "no" | "false" | "0" => Some(false),
            _ => {
                self.err(key, t, "应为 有/无");
                None
            }
        }
    }

    /// A closed-set value by code or Chinese label.
    pub fn choice<T>(&mut self, key: &str, parse: fn(&str) -> Option<T>, labels: &str) -> Option<T> {
        let t = self.text(key)?;
        let v = parse(&t);
        if v.is_none() {
            self.err(key, t, format!("应为 {labels}"));
        }
        v
    }

    pub fn region_code(&mut self, key: &str) -> Option<RegionCode> {
        let t = self.text(key)?;
        match RegionCode::parse(&t) {
            Ok(c) => Some(c),
            Err(e) => {
                self.err(key, t, e.to_string());
                None
            }
        }
    }
}

/// A parsed estate row.
#[derive(Debug, Clone, PartialEq)]
pub struct EstateRow {
    pub row: usize,
    pub input: EstateInput,
}

/// Parses one row of the estates layout. `this_year` bounds the year built.
pub fn parse_estate(r: &mut RowView<'_>, this_year: i32) -> Option<EstateRow> {
    let name = r.required_text("name");
    let region_code = if r.text("region_code").is_none() {
        r.err("region_code", "", "必填");
        None
    } else {
        r.region_code("region_code")
    };
    let kind = r.choice("kind", EstateKind::parse, &EstateKind::labels_zh()).unwrap_or(EstateKind::Other);
    let year_built = r.int("year_built").map(|y| y as i32);
    let land_area = r.hundredths("land_area");
    let building_area = r.required_hundredths("building_area");
    let has_elevator = r.yes_no("has_elevator").unwrap_or(false);
    let management = r.choice("management", ManagementMode::parse, &ManagementMode::labels_zh()).unwrap_or(ManagementMode::None);
    let address = r.text_or_empty("address");
    let (Some(name), Some(region_code), Some(building_area)) = (name, region_code, building_area) else { return None };
    let input = EstateInput { name, region_code, address, kind, year_built, land_area, building_area, has_elevator, management };
    for e in input.validate(this_year) {
        r.field_err(e);
    }
    if !r.errors.is_empty() {
        return None;
    }
    Some(EstateRow { row: r.row, input })
}

/// Kind of occupant (住户/使用人) who is not an owner, from HC's 业主类型 codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OccupantKind {
    /// 家庭成员 (HC 1002)
    Family,
    /// 租客 (HC 1003)
    Tenant,
    /// 临时人员 (HC 1004)
    Temporary,
}

impl OccupantKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Family => "family",
            Self::Tenant => "tenant",
            Self::Temporary => "temporary",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Family => "家庭成员",
            Self::Tenant => "租客",
            Self::Temporary => "临时人员",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "family" | "家庭成员" => Some(Self::Family),
            "tenant" | "租客" => Some(Self::Tenant),
            "temporary" | "临时人员" => Some(Self::Temporary),
            _ => None,
        }
    }
}

/// A person living in a house who is not its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OccupantInput {
    pub kind: OccupantKind,
    pub name: String,
    pub phone: Option<String>,
}

/// A parsed house row: the house, its building's attributes, and at most one owner or
/// occupant (co-owners come as several rows of the same house).
#[derive(Debug, Clone, PartialEq)]
pub struct HouseRow {
    pub row: usize,
    /// (community code, estate name) when the file names the estate.
    pub estate: Option<(RegionCode, String)>,
    pub house: HouseInput,
    pub total_floors: Option<i32>,
    pub elevator: Option<bool>,
    pub owner: Option<OwnerInput>,
    pub occupant: Option<OccupantInput>,
}

fn owner_from_columns(r: &mut RowView<'_>, kind: Option<OwnerKind>) -> Option<OwnerInput> {
    let name = r.text("owner_name");
    let idn = r.text("id_number");
    let phone = r.text("phone");
    let name = match name {
        Some(n) => n,
        None => {
            if idn.is_some() || phone.is_some() {
                r.err("owner_name", "", "填写了证件号码或电话，但业主名称为空");
            }
            return None;
        }
    };
    // An 18-character code that is not an ID number but a valid USCC names an organisation.
    let kind = kind.unwrap_or_else(|| match &idn {
        Some(s) if ids::validate_id_number(s).is_err() && ids::validate_uscc(s).is_ok() => OwnerKind::Organisation,
        _ => OwnerKind::Person,
    });
    let (id_number, uscc) = match kind {
        OwnerKind::Person => (idn, None),
        OwnerKind::Organisation => (None, idn),
    };
    let mut o = OwnerInput { kind, name, id_number, uscc, phone };
    for e in o.normalize() {
        let key = match e.field {
            "owner_name" => "owner_name",
            "phone" => "phone",
            _ => "id_number",
        };
        r.err(key, e.value, e.reason);
    }
    Some(o)
}

fn finish_house(r: &mut RowView<'_>, house: HouseInput) -> HouseInput {
    for e in house.validate() {
        r.field_err(e);
    }
    house
}

/// Parses one row of Wuye's own houses layout. With `estate_given` the estate columns
/// may be empty (the estate was chosen with `--estate`).
pub fn parse_house(r: &mut RowView<'_>, estate_given: bool) -> Option<HouseRow> {
    let estate = match (r.text("region_code"), r.text("estate_name")) {
        (Some(_), Some(name)) => r.region_code("region_code").map(|c| (c, name)),
        _ if estate_given => None,
        (None, _) => {
            r.err("region_code", "", "未指定小区时必填");
            None
        }
        (_, None) => {
            r.err("estate_name", "", "未指定小区时必填");
            None
        }
    };
    let building_no = r.required_text("building_no").map(|s| normalize_building_no(&s));
    let unit_no = normalize_unit_no(&r.text_or_empty("unit_no"));
    let room_no = r.required_text("room_no");
    let floor = r.int("floor").map(|v| v as i32);
    let total_floors = r.int("total_floors").map(|v| v as i32);
    let elevator = r.yes_no("elevator");
    let building_area = r.required_hundredths("building_area");
    let exclusive_area = r.required_hundredths("exclusive_area");
    let house_use = r.choice("house_use", HouseUse::parse, &HouseUse::labels_zh()).unwrap_or(HouseUse::Residential);
    let status = r.choice("status", HouseStatus::parse, &HouseStatus::labels_zh()).unwrap_or(HouseStatus::Delivered);
    let owner_kind = r.choice("owner_kind", OwnerKind::parse, &OwnerKind::labels_zh());
    let owner = owner_from_columns(r, owner_kind);
    let (Some(building_no), Some(room_no), Some(building_area), Some(exclusive_area)) = (building_no, room_no, building_area, exclusive_area)
    else {
        return None;
    };
    let house = finish_house(r, HouseInput { building_no, unit_no, room_no, floor, building_area, exclusive_area, house_use, status });
    if house.status == HouseStatus::Unsold && owner.is_some() {
        r.err("status", "未售", "未售房屋属于建设单位，不应填写业主");
    }
    if !r.errors.is_empty() || (!estate_given && estate.is_none()) {
        return None;
    }
    Some(HouseRow { row: r.row, estate, house, total_floors, elevator, owner, occupant: None })
}

/// HC's "no data" placeholders (its template notes say to write these when unknown).
pub const HC_PLACEHOLDER_PHONE: &str = "18999999999";
pub const HC_PLACEHOLDER_ID: &str = "111111111111111111";

/// Maps HC 房屋状态 codes: 2002 未销售 → unsold; 2004 未入住, 2007 已出售, 2008 空闲 → sold;
/// 2001 已入住, 2003 已交房, 2005 已装修, 2006 已出租, 2009 装修中 → delivered.
pub fn hc_status(code: &str) -> Option<HouseStatus> {
    match code {
        "2002" => Some(HouseStatus::Unsold),
        "2004" | "2007" | "2008" => Some(HouseStatus::Sold),
        "2001" | "2003" | "2005" | "2006" | "2009" => Some(HouseStatus::Delivered),
        _ => None,
    }
}

/// Maps HC 房屋类型: 110 住宅 → residential, 120 办公室 → commercial, 119 宿舍 → other.
pub fn hc_house_use(code: &str) -> Option<HouseUse> {
    match code {
        "110" => Some(HouseUse::Residential),
        "120" => Some(HouseUse::Commercial),
        "119" => Some(HouseUse::Other),
        _ => None,
    }
}

/// Parses one row of HC's 资产信息 sheet (always imported into a chosen estate).
pub fn parse_hc_room(r: &mut RowView<'_>) -> Option<HouseRow> {
    let building_no = r.required_text("building_no").map(|s| normalize_building_no(&s));
    let unit_no = normalize_unit_no(&r.text_or_empty("unit_no"));
    let room_no = r.required_text("room_no");
    let floor = r.int("floor").map(|v| v as i32);
    let total_floors = r.int("total_floors").map(|v| v as i32);
    let elevator = r.yes_no("elevator");
    let house_use = match r.text("hc_house_type") {
        None => HouseUse::Residential,
        Some(t) => hc_house_use(&t).unwrap_or_else(|| {
            r.err("hc_house_type", t, "应为 110（住宅）/120（办公室）/119（宿舍）");
            HouseUse::Residential
        }),
    };
    let building_area = r.required_hundredths("building_area");
    let exclusive_area = r.required_hundredths("exclusive_area");
    let status = match r.required_text("hc_status") {
        None => None,
        Some(t) => {
            let s = hc_status(&t);
            if s.is_none() {
                r.err("hc_status", t, "应为 2001–2009 之一");
            }
            s
        }
    };
    // HC placeholders mean "not known".
    let phone = r.text("phone").filter(|p| p != HC_PLACEHOLDER_PHONE);
    let idn = r.text("id_number").filter(|p| p != HC_PLACEHOLDER_ID);
    let name = r.text("owner_name");
    let owner_type = r.text("hc_owner_type").unwrap_or_else(|| "1001".to_string());
    let mut owner = None;
    let mut occupant = None;
    match owner_type.as_str() {
        "1001" => {
            if let Some(name) = name {
                let kind = match &idn {
                    Some(s) if ids::validate_id_number(s).is_err() && ids::validate_uscc(s).is_ok() => OwnerKind::Organisation,
                    _ => OwnerKind::Person,
                };
                let (id_number, uscc) = if kind == OwnerKind::Person { (idn, None) } else { (None, idn) };
                let mut o = OwnerInput { kind, name, id_number, uscc, phone };
                for e in o.normalize() {
                    let key = match e.field {
                        "phone" => "phone",
                        "owner_name" => "owner_name",
                        _ => "id_number",
                    };
                    r.err(key, e.value, e.reason);
                }
                owner = Some(o);
            }
        }
        "1002" | "1003" | "1004" => {
            let kind = match owner_type.as_str() {
                "1002" => OccupantKind::Family,
                "1003" => OccupantKind::Tenant,
                _ => OccupantKind::Temporary,
            };
            match name {
                None => r.err("owner_name", "", "家庭成员/租客/临时人员须填写姓名"),
                Some(name) => {
                    let phone = match phone.map(|p| ids::validate_phone(&p).map_err(|e| (p, e))) {
                        None => None,
                        Some(Ok(p)) => Some(p),
                        Some(Err((p, e))) => {
                            r.err("phone", p, e.to_string());
                            None
                        }
                    };
                    occupant = Some(OccupantInput { kind, name: name.trim().to_string(), phone });
                }
            }
        }
        other => r.err("hc_owner_type", other.to_string(), "应为 1001/1002/1003/1004"),
    }
    let (Some(building_no), Some(room_no), Some(building_area), Some(exclusive_area), Some(status)) =
        (building_no, room_no, building_area, exclusive_area, status)
    else {
        return None;
    };
    let house = finish_house(r, HouseInput { building_no, unit_no, room_no, floor, building_area, exclusive_area, house_use, status });
    if status == HouseStatus::Unsold && owner.is_some() {
        r.err("hc_status", "2002", "未销售房屋不应填写业主（HC 模板说明）");
    }
    if !r.errors.is_empty() {
        return None;
    }
    Some(HouseRow { row: r.row, estate: None, house, total_floors, elevator, owner, occupant })
}

/// A parsed enterprise row.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseRow {
    pub row: usize,
    pub input: EnterpriseInput,
}

pub fn parse_enterprise(r: &mut RowView<'_>) -> Option<EnterpriseRow> {
    let name = r.required_text("name");
    let uscc = r.required_text("uscc");
    let region_code = r.region_code("region_code");
    let (Some(name), Some(uscc)) = (name, uscc) else { return None };
    let mut input = EnterpriseInput {
        name,
        uscc,
        legal_representative: r.text_or_empty("legal_representative"),
        region_code,
        contact_person: r.text_or_empty("contact_person"),
        contact_phone: r.text("contact_phone"),
        address: r.text_or_empty("address"),
    };
    for e in input.normalize() {
        r.field_err(e);
    }
    if !r.errors.is_empty() {
        return None;
    }
    Some(EnterpriseRow { row: r.row, input })
}

/// A parsed contract row; estate and enterprise are still references by natural key.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractRow {
    pub row: usize,
    pub estate: (RegionCode, String),
    pub enterprise_uscc: String,
    pub kind: ContractKind,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub fee_fen_per_m2_month: i64,
    pub fee_model: FeeModel,
}

pub fn parse_contract(r: &mut RowView<'_>) -> Option<ContractRow> {
    let name = r.required_text("estate_name");
    let code = if r.text("region_code").is_none() {
        r.err("region_code", "", "必填");
        None
    } else {
        r.region_code("region_code")
    };
    let uscc = r.required_text("enterprise_uscc").and_then(|u| match ids::validate_uscc(&u) {
        Ok(v) => Some(v),
        Err(e) => {
            r.err("enterprise_uscc", u, e.to_string());
            None
        }
    });
    let kind = if r.text("kind").is_none() {
        r.err("kind", "", "必填");
        None
    } else {
        r.choice("kind", ContractKind::parse, &ContractKind::labels_zh())
    };
    let start = r.required_date("start_date");
    let end = r.date("end_date");
    let fee = r.required_hundredths("fee");
    let model = if r.text("fee_model").is_none() {
        r.err("fee_model", "", "必填");
        None
    } else {
        r.choice("fee_model", FeeModel::parse, &FeeModel::labels_zh())
    };
    let (Some(name), Some(code), Some(uscc), Some(kind), Some(start), Some(fee), Some(model)) = (name, code, uscc, kind, start, fee, model)
    else {
        return None;
    };
    let probe = ContractInput { estate_id: 0, enterprise_id: 0, kind, start_date: start, end_date: end, fee_fen_per_m2_month: fee, fee_model: model };
    for e in probe.validate() {
        r.field_err(e);
    }
    if !r.errors.is_empty() {
        return None;
    }
    Some(ContractRow { row: r.row, estate: (code, name), enterprise_uscc: uscc, kind, start_date: start, end_date: end, fee_fen_per_m2_month: fee, fee_model: model })
}

/// Checks the house rows of one file as a whole: one house (estate, building, unit, room)
/// must have the same attributes on every row; the same owner or occupant may not repeat
/// for a house; one ID number or USCC must carry one name throughout the file.
pub fn check_house_rows(rows: &[HouseRow], errors: &mut Vec<CellError>) {
    type HouseKey<'a> = (Option<&'a (RegionCode, String)>, &'a str, &'a str, &'a str);
    let mut first: HashMap<HouseKey<'_>, &HouseRow> = HashMap::new();
    let mut people: HashMap<(HouseKey<'_>, String), usize> = HashMap::new();
    let mut names: HashMap<String, (&str, usize)> = HashMap::new();
    for r in rows {
        let key = (r.estate.as_ref(), r.house.building_no.as_str(), r.house.unit_no.as_str(), r.house.room_no.as_str());
        let label = r.house.label();
        match first.get(&key) {
            None => {
                first.insert(key, r);
            }
            Some(f) => {
                if f.house != r.house {
                    errors.push(CellError {
                        row: r.row,
                        column: String::new(),
                        value: label.clone(),
                        reason: format!("房屋 {label} 重复，且与第 {} 行的面积、楼层、用途或状态不一致", f.row),
                    });
                }
            }
        }
        let who = match (&r.owner, &r.occupant) {
            (Some(o), _) => Some(o.global_key().unwrap_or_else(|| format!("name:{}", o.name))),
            (None, Some(o)) => Some(format!("occupant:{}", o.name)),
            (None, None) => Some(String::from("-")),
        };
        if let Some(w) = who {
            if let Some(prev) = people.insert((key, w.clone()), r.row) {
                let what = if w == "-" { "房屋".to_string() } else { "业主或住户".to_string() };
                errors.push(CellError {
                    row: r.row,
                    column: String::new(),
                    value: label.clone(),
                    reason: format!("与第 {prev} 行重复：同一房屋 {label} 的同一{what}出现两次"),
                });
            }
        }
        if let Some(o) = &r.owner {
            if let Some(k) = o.global_key() {
                match names.get(&k) {
                    Some((n, row)) if *n != o.name.as_str() => errors.push(CellError {
                        row: r.row,
                        column: if k.starts_with("id:") { "身份证号".into() } else { "统一社会信用代码".into() },
                        value: k[k.find(':').map(|i| i + 1).unwrap_or(0)..].to_string(),
                        reason: format!("同一证件号码在第 {row} 行登记为「{n}」，此处为「{}」", o.name),
                    }),
                    Some(_) => {}
                    None => {
                        names.insert(k, (o.name.as_str(), r.row));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(headers: &[&str], rows: Vec<Vec<Cell>>) -> Table {
        Table {
            sheet: "s".into(),
            headers: headers.iter().map(|s| s.to_string()).collect(),
            rows: rows.into_iter().enumerate().map(|(i, r)| (i + 2, r)).collect(),
        }
    }
    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_date(42370.0), NaiveDate::from_ymd_opt(2016, 1, 1));
        assert_eq!(excel_serial_date(61.0), NaiveDate::from_ymd_opt(1900, 3, 1));
        assert_eq!(excel_serial_date(1.0), NaiveDate::from_ymd_opt(1900, 1, 1));
        assert_eq!(parse_date_text("2024/5/1"), NaiveDate::from_ymd_opt(2024, 5, 1));
        assert_eq!(parse_date_text("2024年5月1日"), NaiveDate::from_ymd_opt(2024, 5, 1));
        assert_eq!(parse_date_text("20240501"), NaiveDate::from_ymd_opt(2024, 5, 1));
        assert_eq!(parse_date_text("42370"), NaiveDate::from_ymd_opt(2016, 1, 1));
        assert_eq!(parse_date_text("2024-02-30"), None);
        assert_eq!(parse_date_text("202405"), None);
    }

    #[test]
    fn missing_columns_are_named() {
        let tb = table(&["小区名称"], vec![vec![t("x")]]);
        match ESTATES.bind(&tb) {
            Err(FileError::MissingColumns { missing, .. }) => assert_eq!(missing, vec!["社区代码", "建筑面积(m²)"]),
            _ => panic!("expected missing columns"),
        }
    }

    #[test]
    fn room_numbers_stay_text_and_numbers_lose_dot_zero() {
        assert_eq!(cell_text(&t("0501")), Some("0501".into()));
        assert_eq!(cell_text(&Cell::Number(501.0)), Some("501".into()));
        assert_eq!(cell_text(&Cell::Number(202405.0)), Some("202405".into()));
    }

    #[test]
    fn hc_row_with_placeholders_and_errors() {
        let h = HC_ROOMS.headers();
        let good = vec![
            t("1"), t("1"), t("0101"), Cell::Number(1.0), Cell::Number(6.0), t("无"), t("110"), t("10102"),
            Cell::Number(94.56), Cell::Number(80.0), Cell::Number(0.0), t("2001"), t("张三0"), t("男"),
            t(HC_PLACEHOLDER_PHONE), t(HC_PLACEHOLDER_ID), t("1001"),
        ];
        let mut bad = good.clone();
        bad[15] = t("640104199001011235"); // wrong check digit (should be 4?)
        bad[8] = Cell::Number(-5.0);
        let tb = table(&h, vec![good, bad]);
        let b = HC_ROOMS.bind(&tb).unwrap();
        let mut out = Vec::new();
        let mut errs = Vec::new();
        for mut r in b.rows() {
            match parse_hc_room(&mut r) {
                Some(x) => out.push(x),
                None => errs.extend(r.errors),
            }
        }
        assert_eq!(out.len(), 1);
        let o = out[0].owner.as_ref().unwrap();
        assert_eq!((o.id_number.as_deref(), o.phone.as_deref()), (None, None));
        assert_eq!(out[0].house.room_no, "0101");
        assert_eq!(out[0].house.exclusive_area, 8000);
        let cols: Vec<_> = errs.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert!(cols.contains(&(3, "身份证号")), "{errs:?}");
        assert!(cols.contains(&(3, "建筑面积")), "{errs:?}");
    }

    #[test]
    fn duplicate_rooms_in_a_file() {
        let h = HOUSES.headers();
        let row = |room: &str, area: f64, owner: &str| {
            let mut v = vec![Cell::Empty; h.len()];
            v[2] = t("1");
            v[3] = t("1");
            v[4] = t(room);
            v[8] = Cell::Number(area);
            v[9] = Cell::Number(80.0);
            v[13] = t(owner);
            v
        };
        let tb = table(&h, vec![row("101", 90.0, "甲"), row("101", 90.0, "乙"), row("101", 91.0, "丙"), row("101", 90.0, "甲")]);
        let b = HOUSES.bind(&tb).unwrap();
        let rows: Vec<HouseRow> = b.rows().filter_map(|mut r| parse_house(&mut r, true)).collect();
        assert_eq!(rows.len(), 4);
        let mut errs = Vec::new();
        check_house_rows(&rows, &mut errs);
        let at: Vec<usize> = errs.iter().map(|e| e.row).collect();
        // Row 3 (乙) is a co-owner; row 4 differs in area; row 5 repeats 甲.
        assert_eq!(at, vec![4, 5]);
    }
}

/// The import layouts as Markdown (the body of `docs/import-layouts.md`).
pub fn layouts_markdown() -> String {
    let mut s = String::from(
        "# 台账导入格式 / Import layouts\n\n\
         本文件由 `wuye_domain::ledger::layouts_markdown()` 生成（`UPDATE_DOCS=1 cargo test -p wuye-domain layouts_doc` 重新生成）。\n\n\
         通用规则：\n\n\
         - 文件可以是 xlsx、xls、ods 或 csv（UTF-8，或 Excel 在中文 Windows 上保存的 GBK）。按内容识别格式，与扩展名无关。\n\
         - 工作簿中有与下表同名的工作表时读取该表；只有一个工作表时读取它；否则报错并列出工作表名。\n\
         - 第一个非空行是表头。列的顺序不限；表头可以用下表的写法或括号中的别名；不认识的列被忽略。\n\
         - 先校验整个文件（身份证号 GB 11643 校验位、统一社会信用代码 GB 32100 校验位、手机号、面积大于 0、专有面积不大于建筑面积、日期、文件内重复、与数据库中已有记录的冲突），\
         列出每一处错误（行号、列、值、原因）。有任何错误时不写入任何数据，除非选择「跳过错误行」（`--skip-invalid`）。\n\
         - 写入在一个事务中完成。按自然键（小区：社区代码+名称；房屋：小区+楼栋+单元+房号；业主：身份证号或统一社会信用代码；企业：统一社会信用代码；合同：小区+企业+开始日期）\
         匹配已有记录：同样的文件导入两次不会改变任何数据。\n\
         - 数字可以写成数字或文本；面积与金额最多两位小数；日期可写 2024-05-01、2024/5/1、2024年5月1日、20240501 或 Excel 日期序号。\
         房号等编号按文本保存（0501 不会变成 501）。\n\
         - 一套房屋已登记业主、而文件中给出不同的业主时拒绝导入，除非选择「替换业主」（`--replace-owners`，用于过户或更正）。\n\
         - 导出的 Excel 与导入使用同样的表头：导出后再导入不会改变任何数据。\n\n",
    );
    for l in ALL_LAYOUTS {
        s.push_str(&format!("## {}（工作表「{}」）\n\n| 列 | 必填 | 别名 | 说明 |\n|---|---|---|---|\n", l.title, l.sheet));
        for c in l.columns {
            s.push_str(&format!("| {} | {} | {} | {} |\n", c.header, if c.required { "是" } else { "" }, c.aliases.join("、"), c.note));
        }
        s.push('\n');
    }
    s.push_str(
        "## HC 代码对照\n\n\
         - 房屋类型：110 住宅 → 住宅；120 办公室 → 商业；119 宿舍 → 其他。\n\
         - 房屋状态：2002 未销售 → 未售；2004 未入住、2007 已出售、2008 空闲 → 已售；2001 已入住、2003 已交房、2005 已装修、2006 已出租、2009 装修中 → 已交付。\n\
         - 业主类型：1001 业主 → 业主；1002 家庭成员、1003 租客、1004 临时人员 → 住户（不是业主，不计入表决）。\n\
         - HC 模板要求在缺少信息时填写的占位值 `18999999999`（手机号）与 `111111111111111111`（身份证号）视为未填写。\n\
         - 性别、房屋户型、租金不导入（个人信息最小必要原则）。\n",
    );
    s
}

#[cfg(test)]
mod doc_tests {
    /// docs/import-layouts.md is generated from the layouts and must not drift.
    #[test]
    fn layouts_doc() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/import-layouts.md");
        let want = super::layouts_markdown();
        if std::env::var("UPDATE_DOCS").is_ok() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(have == want, "docs/import-layouts.md is out of date: run UPDATE_DOCS=1 cargo test -p wuye-domain layouts_doc");
    }
}
