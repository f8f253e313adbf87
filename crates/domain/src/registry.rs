//! The registry (基础信息): estates, buildings, units, houses, owners, enterprises and
//! service contracts — their kinds, and the rules a record must satisfy on its own.
//!
//! Areas are in hundredths of m² ([`crate::units::Area`]), fees in fen, dates are calendar
//! dates in Asia/Shanghai.

use crate::ids;
use crate::region::RegionCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Declares a closed set of codes with a stable English code (stored and used in the API)
/// and a Chinese label (shown and accepted on import).
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $code:literal / $zh:literal $(| $alias:literal)*,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $var,)+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var,)+];
            /// Stable code used in the database and the API.
            pub fn code(self) -> &'static str { match self { $($name::$var => $code,)+ } }
            /// Chinese label used on pages and in ledgers.
            pub fn label_zh(self) -> &'static str { match self { $($name::$var => $zh,)+ } }
            /// Accepts the code or the Chinese label (and known aliases).
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                $( if s == $code || s == $zh $(|| s == $alias)* { return Some($name::$var); } )+
                None
            }
            /// All accepted Chinese labels, for error messages.
            pub fn labels_zh() -> String {
                [$($zh,)+].join("/")
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.code()) }
        }
    };
}
pub(crate) use code_enum;

code_enum! {
    /// Kind of estate (小区类型).
    EstateKind {
        /// 商品房小区
        Commodity = "commodity" / "商品房" | "商品住宅" | "商品房小区",
        /// 安置房小区 (回迁/拆迁安置)
        Resettlement = "resettlement" / "安置房" | "回迁房" | "安置小区",
        /// 老旧小区
        Old = "old" / "老旧小区" | "老旧",
        /// 单体楼 (single building)
        SingleBuilding = "single_building" / "单体楼" | "单栋楼",
        /// 保障性住房
        Affordable = "affordable" / "保障性住房" | "保障房" | "公租房",
        /// 其他
        Other = "other" / "其他",
    }
}

code_enum! {
    /// How an estate is managed (管理方式). Whether it counts as covered is decided by
    /// its contracts, not by this declaration.
    ManagementMode {
        /// 物业服务企业 under a service contract
        Enterprise = "enterprise" / "物业服务企业" | "物业企业" | "专业化物业服务",
        /// 业主自管
        SelfManaged = "self_managed" / "业主自管" | "自管",
        /// 无人管理
        None = "none" / "无人管理" | "无",
    }
}

code_enum! {
    /// Use of a house (房屋用途).
    HouseUse {
        Residential = "residential" / "住宅",
        Commercial = "commercial" / "商业" | "商铺" | "办公",
        Garage = "garage" / "车库" | "车位",
        Other = "other" / "其他",
    }
}

code_enum! {
    /// Sale status of a house (房屋状态). Unsold and sold-but-undelivered houses of the
    /// developer count together as one owner in a vote (rules.md §1.3).
    HouseStatus {
        /// 未售 (still the developer's)
        Unsold = "unsold" / "未售" | "未销售",
        /// 已售未交付
        Sold = "sold" / "已售" | "已售未交付",
        /// 已交付
        Delivered = "delivered" / "已交付" | "已交房" | "已入住",
    }
}

code_enum! {
    /// Kind of owner (业主类型): a natural person identified by ID number, or an
    /// organisation identified by its USCC.
    OwnerKind {
        Person = "person" / "个人" | "自然人",
        Organisation = "organisation" / "单位" | "法人" | "组织",
    }
}

code_enum! {
    /// Kind of service contract (物业服务合同类型).
    ContractKind {
        /// 前期物业服务合同, signed by the developer (PMR Art 21)
        Preliminary = "preliminary" / "前期物业" | "前期物业服务合同",
        /// 物业服务合同, signed by the owners' committee after the assembly's choice
        Regular = "regular" / "物业服务" | "物业服务合同" | "正式",
    }
}

code_enum! {
    /// Fee model (计费方式), 《物业服务收费管理办法》 Art 9.
    FeeModel {
        /// 包干制
        LumpSum = "lump_sum" / "包干制",
        /// 酬金制
        Commission = "commission" / "酬金制",
    }
}

/// A problem with one field of a record: the field's key (as in the API), the value as
/// given, and the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    pub value: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &'static str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError { field, value: value.into(), reason: reason.into() }
    }
}

/// An estate (小区 / 物业管理区域) as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EstateInput {
    pub name: String,
    /// 12-digit code of the community (村/社区) the estate lies in.
    #[schema(value_type = String, example = "640104001001")]
    pub region_code: RegionCode,
    #[serde(default)]
    pub address: String,
    pub kind: EstateKind,
    pub year_built: Option<i32>,
    /// Land area in hundredths of m².
    pub land_area: Option<i64>,
    /// Total building area in hundredths of m² (> 0).
    pub building_area: i64,
    pub has_elevator: bool,
    pub management: ManagementMode,
}

impl EstateInput {
    /// Rules an estate must satisfy on its own. `this_year` bounds the year built.
    pub fn validate(&self, this_year: i32) -> Vec<FieldError> {
        let mut e = Vec::new();
        if self.name.trim().is_empty() {
            e.push(FieldError::new("name", "", "小区名称不能为空"));
        }
        if self.name.chars().count() > 100 {
            e.push(FieldError::new("name", &self.name, "小区名称不超过 100 字"));
        }
        if self.region_code.level() != crate::region::RegionLevel::Community {
            e.push(FieldError::new("region_code", self.region_code.as_str(), "小区必须登记在村/社区一级区划下"));
        }
        if self.building_area <= 0 {
            e.push(FieldError::new("building_area", crate::units::format_hundredths(self.building_area), "建筑面积必须大于 0"));
        }
        if let Some(a) = self.land_area {
            if a <= 0 {
                e.push(FieldError::new("land_area", crate::units::format_hundredths(a), "占地面积必须大于 0"));
            }
        }
        if let Some(y) = self.year_built {
            if !(1900..=this_year + 5).contains(&y) {
                e.push(FieldError::new("year_built", y.to_string(), format!("建成年份应在 1900 至 {} 之间", this_year + 5)));
            }
        }
        e
    }
}

/// A house (房屋) as entered, located by building, unit and room number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseInput {
    /// Building number as written (`"3"` for 3号楼).
    pub building_no: String,
    /// Unit number (`"2"` for 2单元); empty for houses not in a unit (shops).
    #[serde(default)]
    pub unit_no: String,
    /// Room number, kept as text (`"0501"` stays `"0501"`).
    pub room_no: String,
    pub floor: Option<i32>,
    /// Building area in hundredths of m² (> 0).
    pub building_area: i64,
    /// Exclusive-part area (专有部分面积) in hundredths of m², 0 < exclusive ≤ building.
    pub exclusive_area: i64,
    pub house_use: HouseUse,
    pub status: HouseStatus,
}

/// Normalises a building or unit number: trims, and drops the suffix 号楼/栋/幢/单元 so
/// that "3号楼" and "3" name the same building. Unit "0" (HC's mark for shops) becomes "".
pub fn normalize_building_no(s: &str) -> String {
    let t = s.trim();
    let t = ["号楼", "#楼", "栋", "幢", "号", "#"].iter().find_map(|suf| t.strip_suffix(suf)).unwrap_or(t);
    t.trim().to_string()
}

pub fn normalize_unit_no(s: &str) -> String {
    let t = s.trim();
    let t = t.strip_suffix("单元").unwrap_or(t).trim();
    if t == "0" { String::new() } else { t.to_string() }
}

impl HouseInput {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        if self.building_no.is_empty() {
            e.push(FieldError::new("building_no", "", "楼栋号不能为空"));
        }
        if self.room_no.trim().is_empty() {
            e.push(FieldError::new("room_no", "", "房号不能为空"));
        }
        if self.building_area <= 0 {
            e.push(FieldError::new("building_area", crate::units::format_hundredths(self.building_area), "建筑面积必须大于 0"));
        }
        if self.exclusive_area <= 0 {
            e.push(FieldError::new("exclusive_area", crate::units::format_hundredths(self.exclusive_area), "专有面积必须大于 0"));
        } else if self.building_area > 0 && self.exclusive_area > self.building_area {
            e.push(FieldError::new(
                "exclusive_area",
                crate::units::format_hundredths(self.exclusive_area),
                format!("专有面积不能大于建筑面积 {}", crate::units::format_hundredths(self.building_area)),
            ));
        }
        if let Some(f) = self.floor {
            if !(-10..=200).contains(&f) || f == 0 {
                e.push(FieldError::new("floor", f.to_string(), "楼层应在 -10 至 200 之间且不为 0"));
            }
        }
        e
    }

    /// "3号楼2单元501" form of the address inside the estate.
    pub fn label(&self) -> String {
        house_label(&self.building_no, &self.unit_no, &self.room_no)
    }
}

/// The address form used in the field: "3号楼2单元501", or "3号楼501" without unit.
pub fn house_label(building_no: &str, unit_no: &str, room_no: &str) -> String {
    let b = if building_no.chars().all(|c| c.is_ascii_digit()) { format!("{building_no}号楼") } else { building_no.to_string() };
    if unit_no.is_empty() {
        format!("{b}{room_no}")
    } else if unit_no.chars().all(|c| c.is_ascii_digit()) {
        format!("{b}{unit_no}单元{room_no}")
    } else {
        format!("{b}{unit_no}{room_no}")
    }
}

/// An owner (业主) as entered: a person with an ID number, or an organisation with a USCC.
/// Either may be missing from old ledgers; then the owner is known only by name within the
/// houses it owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OwnerInput {
    pub kind: OwnerKind,
    pub name: String,
    /// 18-digit resident ID number (persons only), GB 11643 check digit.
    pub id_number: Option<String>,
    /// Unified social credit code (organisations only), GB 32100 check digit.
    pub uscc: Option<String>,
    pub phone: Option<String>,
}

impl OwnerInput {
    /// Validates and normalises the identifiers in place; returns the problems found.
    pub fn normalize(&mut self) -> Vec<FieldError> {
        let mut e = Vec::new();
        self.name = self.name.trim().to_string();
        if self.name.is_empty() {
            e.push(FieldError::new("owner_name", "", "业主名称不能为空"));
        }
        if let Some(id) = self.id_number.take().filter(|s| !s.trim().is_empty()) {
            match ids::validate_id_number(&id) {
                Ok(v) => self.id_number = Some(v),
                Err(err) => e.push(FieldError::new("id_number", id, err.to_string())),
            }
        }
        if let Some(u) = self.uscc.take().filter(|s| !s.trim().is_empty()) {
            match ids::validate_uscc(&u) {
                Ok(v) => self.uscc = Some(v),
                Err(err) => e.push(FieldError::new("uscc", u, err.to_string())),
            }
        }
        if let Some(p) = self.phone.take().filter(|s| !s.trim().is_empty()) {
            match ids::validate_phone(&p) {
                Ok(v) => self.phone = Some(v),
                Err(err) => e.push(FieldError::new("phone", p, err.to_string())),
            }
        }
        match self.kind {
            OwnerKind::Person if self.uscc.is_some() => e.push(FieldError::new("uscc", self.uscc.clone().unwrap_or_default(), "个人业主不填统一社会信用代码")),
            OwnerKind::Organisation if self.id_number.is_some() => e.push(FieldError::new("id_number", "", "单位业主不填身份证号")),
            _ => {}
        }
        e
    }

    /// The key that identifies this owner across houses: `id:<ID number>`, `uscc:<code>`,
    /// or `None` for an owner known only by name.
    pub fn global_key(&self) -> Option<String> {
        if let Some(i) = &self.id_number {
            Some(format!("id:{i}"))
        } else {
            self.uscc.as_ref().map(|u| format!("uscc:{u}"))
        }
    }
}

/// A property service enterprise (物业服务企业) as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnterpriseInput {
    pub name: String,
    /// Unified social credit code, GB 32100.
    pub uscc: String,
    #[serde(default)]
    pub legal_representative: String,
    /// Region (any level) where the enterprise is registered.
    #[schema(value_type = Option<String>)]
    pub region_code: Option<RegionCode>,
    #[serde(default)]
    pub contact_person: String,
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub address: String,
}

impl EnterpriseInput {
    pub fn normalize(&mut self) -> Vec<FieldError> {
        let mut e = Vec::new();
        self.name = self.name.trim().to_string();
        if self.name.is_empty() {
            e.push(FieldError::new("name", "", "企业名称不能为空"));
        }
        match ids::validate_uscc(&self.uscc) {
            Ok(v) => self.uscc = v,
            Err(err) => e.push(FieldError::new("uscc", self.uscc.clone(), err.to_string())),
        }
        if let Some(p) = self.contact_phone.take().filter(|s| !s.trim().is_empty()) {
            match ids::validate_phone(&p) {
                Ok(v) => self.contact_phone = Some(v),
                Err(err) => e.push(FieldError::new("contact_phone", p, err.to_string())),
            }
        }
        e
    }
}

/// A service contract (物业服务合同) as entered. `end_date` is inclusive; `None` means an
/// open-ended contract (不定期物业服务合同, Civil Code Art 948).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContractInput {
    pub estate_id: i64,
    pub enterprise_id: i64,
    pub kind: ContractKind,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// Property fee in fen per m² of building area per month (e.g. 130 = 1.30 元/m²·月).
    pub fee_fen_per_m2_month: i64,
    pub fee_model: FeeModel,
}

impl ContractInput {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        if let Some(end) = self.end_date {
            if end < self.start_date {
                e.push(FieldError::new("end_date", end.to_string(), format!("结束日期早于开始日期 {}", self.start_date)));
            }
        }
        if self.fee_fen_per_m2_month < 0 {
            e.push(FieldError::new("fee_fen_per_m2_month", self.fee_fen_per_m2_month.to_string(), "物业费不能为负数"));
        }
        if self.fee_fen_per_m2_month > 100_000 {
            e.push(FieldError::new("fee_fen_per_m2_month", self.fee_fen_per_m2_month.to_string(), "物业费超过 1000 元/m²·月，请检查单位（元）"));
        }
        e
    }

    /// Whether the contract is in force on `day` (start and end inclusive).
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        contract_valid_on(self.start_date, self.end_date, day)
    }
}

/// Whether a contract running from `start` to `end` (inclusive; `None` = open-ended) is in
/// force on `day`. A contract that ended yesterday is not.
pub fn contract_valid_on(start: NaiveDate, end: Option<NaiveDate>, day: NaiveDate) -> bool {
    start <= day && end.is_none_or(|e| day <= e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_round_trip() {
        for k in EstateKind::ALL {
            assert_eq!(EstateKind::parse(k.code()), Some(*k));
            assert_eq!(EstateKind::parse(k.label_zh()), Some(*k));
        }
        assert_eq!(HouseStatus::parse("已交房"), Some(HouseStatus::Delivered));
        assert_eq!(FeeModel::parse("酬金制"), Some(FeeModel::Commission));
        assert_eq!(HouseUse::parse("别墅"), None);
        assert_eq!(OwnerKind::labels_zh(), "个人/单位");
    }

    #[test]
    fn building_and_unit_numbers() {
        assert_eq!(normalize_building_no("3号楼"), "3");
        assert_eq!(normalize_building_no(" 12栋 "), "12");
        assert_eq!(normalize_building_no("A座"), "A座");
        assert_eq!(normalize_unit_no("2单元"), "2");
        assert_eq!(normalize_unit_no("0"), "");
        assert_eq!(house_label("3", "2", "501"), "3号楼2单元501");
        assert_eq!(house_label("3", "", "S01"), "3号楼S01");
    }

    fn house(b: i64, x: i64) -> HouseInput {
        HouseInput {
            building_no: "1".into(),
            unit_no: "1".into(),
            room_no: "0501".into(),
            floor: Some(5),
            building_area: b,
            exclusive_area: x,
            house_use: HouseUse::Residential,
            status: HouseStatus::Delivered,
        }
    }

    #[test]
    fn exclusive_area_not_above_building_area() {
        assert!(house(9456, 9456).validate().is_empty());
        let e = house(9456, 9457).validate();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "exclusive_area");
        assert_eq!(house(-100, 50).validate()[0].field, "building_area");
    }

    #[test]
    fn contract_validity_is_inclusive() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-11-29");
        assert!(contract_valid_on(d("2024-01-01"), Some(d("2026-11-29")), today));
        assert!(!contract_valid_on(d("2024-01-01"), Some(d("2026-11-28")), today));
        assert!(!contract_valid_on(d("2026-11-30"), None, today));
        assert!(contract_valid_on(d("2026-11-29"), None, today));
        let c = ContractInput {
            estate_id: 1,
            enterprise_id: 1,
            kind: ContractKind::Regular,
            start_date: d("2026-01-01"),
            end_date: Some(d("2025-12-31")),
            fee_fen_per_m2_month: 130,
            fee_model: FeeModel::LumpSum,
        };
        assert_eq!(c.validate()[0].field, "end_date");
    }

    #[test]
    fn owner_normalisation() {
        let mut o = OwnerInput {
            kind: OwnerKind::Person,
            name: " 张三 ".into(),
            id_number: Some("11010519491231002x".into()),
            uscc: None,
            phone: Some("139 5123 4567".into()),
        };
        assert!(o.normalize().is_empty());
        assert_eq!(o.name, "张三");
        assert_eq!(o.global_key().as_deref(), Some("id:11010519491231002X"));
        assert_eq!(o.phone.as_deref(), Some("13951234567"));
    }
}
