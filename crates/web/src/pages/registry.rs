//! Registry pages: lists (paged, filtered by region and text, exportable), detail pages,
//! and create/edit forms for estates, houses, owners, enterprises and contracts.

use super::{Pager, link, render};
use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use crate::form::{Errors, Field, Submitted, options, refill};
use crate::i18n::Lang;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use wuye_domain::region::RegionCode;
use wuye_domain::registry::*;
use wuye_store::registry::{self as reg, Revealed, Building, Contract, ContractFilter, ContractState, CoveredFilter, Enterprise, Estate, House, HouseFilter, ListQuery, Occupant, Owner};
use wuye_store::{StoreError, region};

type PageResult = Result<Response, PageError>;

/// The region in focus: the one asked for, else the caller's own region, else the province.
async fn region_path(state: &AppState, u: &User, code: Option<&str>) -> Result<Vec<region::Region>, PageError> {
    match code.filter(|c| !c.is_empty()) {
        Some(c) => Ok(region::path_at(&state.db, u.access().generation(), c).await.unwrap_or_default()),
        None => match u.access().scope() {
            wuye_domain::account::Scope::Region(c) => Ok(region::path_at(&state.db, u.access().generation(), c.as_str()).await.unwrap_or_default()),
            wuye_domain::account::Scope::All => Ok(region::roots(&state.db).await?.into_iter().take(1).collect()),
            _ => Ok(Vec::new()),
        },
    }
}

fn sort_link_for(path: &str, q: &ListQuery, extra: &[(&str, String)], key: &str) -> String {
    let next = if q.sort.as_deref() == Some(key) { format!("-{key}") } else { key.to_string() };
    let mut pairs: Vec<(&str, String)> = vec![("region", q.region.clone().unwrap_or_default()), ("q", q.q.clone().unwrap_or_default())];
    pairs.extend(extra.iter().cloned());
    pairs.push(("sort", next));
    link(path, &pairs)
}

fn base_pairs(q: &ListQuery, extra: &[(&str, String)]) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = vec![("region", q.region.clone().unwrap_or_default()), ("q", q.q.clone().unwrap_or_default()), ("sort", q.sort.clone().unwrap_or_default())];
    for (k, val) in extra {
        let k: &'static str = match *k {
            "covered" => "covered",
            "estate_id" => "estate_id",
            "enterprise_id" => "enterprise_id",
            "building_id" => "building_id",
            "state" => "state",
            _ => continue,
        };
        v.push((k, val.clone()));
    }
    v
}

// ---------------------------------------------------------------------------------------
// Estates

#[derive(Debug, Deserialize)]
pub struct EstateListQuery {
    #[serde(flatten)]
    pub list: ListQuery,
    pub covered: Option<String>,
}

pub fn covered_filter(s: Option<&str>) -> Option<CoveredFilter> {
    match s {
        Some("covered") => Some(CoveredFilter::Covered),
        Some("uncovered") => Some(CoveredFilter::Uncovered),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "estates.html")]
pub struct EstatesPage {
    pub c: PageCtx,
    pub items: Vec<Estate>,
    pub pager: Pager,
    pub q: String,
    pub covered: String,
    pub export_xlsx: String,
    pub export_csv: String,
    pub list: ListQuery,
}

impl EstatesPage {
    pub fn sort_link(&self, key: &str) -> String {
        sort_link_for("/estates", &self.list, &[("covered", self.covered.clone())], key)
    }
}

pub async fn estates(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<EstateListQuery>) -> PageResult {
    let today = state.today();
    let page = reg::list_estates(&state.db, u.access(), &q.list, covered_filter(q.covered.as_deref()), today).await?;
    let covered = q.covered.clone().unwrap_or_default();
    let pairs = base_pairs(&q.list, &[("covered", covered.clone())]);
    let base = link("/estates", &pairs);
    let c = PageCtx::new(lang, &u.0, "estates", lang.t("小区")).with_region(region_path(&state, &u, q.list.region.as_deref()).await?).crumb(lang.t("小区"), "").here(base.clone());
    let pager = Pager::new(&c, &page, &base);
    let p = EstatesPage {
        pager,
        items: page.items,
        q: q.list.text(),
        covered,
        export_xlsx: link("/export/estates.xlsx", &pairs),
        export_csv: link("/export/estates.csv", &pairs),
        list: q.list,
        c,
    };
    Ok(render(&p)?.into_response())
}

#[derive(Template)]
#[template(path = "estate.html")]
pub struct EstatePage {
    pub c: PageCtx,
    pub e: Estate,
    pub today: NaiveDate,
    pub contracts: Vec<Contract>,
    pub buildings: Vec<Building>,
    pub houses: Vec<House>,
    pub show_estate: bool,
    pub pager: Pager,
}

pub async fn estate(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Query(q): Query<ListQuery>) -> PageResult {
    let today = state.today();
    let e = reg::get_estate(&state.db, u.access(), id, today).await.map_err(|x| PageError::from(x).lang(lang))?;
    let contracts = reg::list_contracts(&state.db, u.access(), &ListQuery { per_page: Some(100), ..Default::default() }, &ContractFilter { estate_id: Some(id), ..Default::default() }, today).await?.items;
    let buildings = reg::list_buildings(&state.db, u.access(), id, state.today()).await?;
    let hq = ListQuery { page: q.page, per_page: Some(100), ..Default::default() };
    let houses = reg::list_houses(&state.db, u.access(), &hq, &HouseFilter { estate_id: Some(id), building_id: None }, state.today()).await?;
    let base = format!("/estates/{id}");
    let c = PageCtx::new(lang, &u.0, "estates", e.name.clone()).with_region(region::path(&state.db, &e.region_code).await?).crumb(e.name.clone(), "").here(base.clone());
    let pager = Pager::new(&c, &houses, &base);
    Ok(render(&EstatePage { c, e, today, contracts, buildings, houses: houses.items, show_estate: false, pager })?.into_response())
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub c: PageCtx,
    pub action: String,
    pub cancel: String,
    pub fields: Vec<Field>,
    pub alert: Option<String>,
}

fn estate_fields() -> Vec<Field> {
    vec![
        Field::text("name", "小区名称").required(),
        Field::text("region_code", "所在社区").required().hint("村/社区的 12 位统计用区划代码，如 640104001002"),
        Field::text("address", "地址"),
        Field::select("kind", "小区类型", options(EstateKind::ALL, EstateKind::code, EstateKind::label_zh)).required(),
        Field::number("year_built", "建成年份", ""),
        Field::number("land_area", "占地面积", "m²"),
        Field::number("building_area", "建筑面积", "m²").required(),
        Field::select("has_elevator", "有无电梯", vec![("no".into(), "无"), ("yes".into(), "有")]),
        Field::select("management", "管理方式", options(ManagementMode::ALL, ManagementMode::code, ManagementMode::label_zh)).required(),
    ]
}

fn estate_values(e: &EstateInput) -> Submitted {
    let mut m = std::collections::HashMap::new();
    m.insert("name".into(), e.name.clone());
    m.insert("region_code".into(), e.region_code.to_string());
    m.insert("address".into(), e.address.clone());
    m.insert("kind".into(), e.kind.code().into());
    m.insert("year_built".into(), e.year_built.map(|y| y.to_string()).unwrap_or_default());
    m.insert("land_area".into(), e.land_area.map(wuye_domain::units::format_hundredths).unwrap_or_default());
    m.insert("building_area".into(), wuye_domain::units::format_hundredths(e.building_area));
    m.insert("has_elevator".into(), if e.has_elevator { "yes" } else { "no" }.into());
    m.insert("management".into(), e.management.code().into());
    Submitted(m)
}

/// Parses the estate form; field errors keyed by field name.
pub fn parse_estate(s: &Submitted, this_year: i32) -> Result<EstateInput, Errors> {
    let mut errs = Errors::default();
    let name = errs.required(s, "name");
    let code = errs.required(s, "region_code");
    let region_code = match RegionCode::parse(&code) {
        Ok(c) => Some(c),
        Err(e) => {
            if !code.is_empty() {
                errs.add("region_code", e.to_string());
            }
            None
        }
    };
    let kind = errs.choice(s, "kind", EstateKind::parse);
    let year_built = errs.int(s, "year_built").map(|y| y as i32);
    let land_area = errs.hundredths(s, "land_area", false);
    let building_area = errs.hundredths(s, "building_area", true);
    let management = errs.choice(s, "management", ManagementMode::parse);
    let has_elevator = s.get("has_elevator") == "yes";
    if let (Some(region_code), Some(kind), Some(building_area), Some(management)) = (region_code, kind, building_area, management) {
        let input = EstateInput { name, region_code, address: s.get("address"), kind, year_built, land_area, building_area, has_elevator, management };
        errs.extend(input.validate(this_year));
        if errs.is_empty() {
            return Ok(input);
        }
    }
    Err(errs)
}

fn form_page(c: PageCtx, action: String, cancel: String, mut fields: Vec<Field>, s: &Submitted, errs: &Errors, alert: Option<String>) -> PageResult {
    refill(&mut fields, s, errs);
    let status = if errs.is_empty() && alert.is_none() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let alert = alert.or_else(|| (!errs.is_empty()).then(|| c.t("请检查标红的字段").to_string()));
    Ok((status, render(&FormPage { c, action, cancel, fields, alert })?).into_response())
}

/// Store errors on save: field-level when the store says which field, else a page alert.
fn store_alert(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        StoreError::NotFound => Err(PageError::not_found()),
        other => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct RegionParam {
    pub region: Option<String>,
}

pub async fn estate_new(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(p): Query<RegionParam>) -> PageResult {
    let c = PageCtx::new(lang, &u.0, "estates", lang.t("登记小区")).with_region(region_path(&state, &u, p.region.as_deref()).await?).crumb(lang.t("小区"), "/estates").crumb(lang.t("登记小区"), "");
    let mut s = Submitted::default();
    if let Some(r) = p.region.as_deref().and_then(|r| RegionCode::parse(r).ok()).filter(|r| r.level() == wuye_domain::region::RegionLevel::Community) {
        s.0.insert("region_code".into(), r.to_string());
    }
    form_page(c, "/estates/new".into(), "/estates".into(), estate_fields(), &s, &Errors::default(), None)
}

pub async fn estate_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    let year = state.today().year();
    let c = PageCtx::new(lang, &u.0, "estates", lang.t("登记小区")).crumb(lang.t("小区"), "/estates").crumb(lang.t("登记小区"), "");
    match parse_estate(&s, year) {
        Err(errs) => form_page(c, "/estates/new".into(), "/estates".into(), estate_fields(), &s, &errs, None),
        Ok(input) => match reg::create_estate(&state.db, u.access(), &input, year).await {
            Ok(id) => Ok(Redirect::to(&format!("/estates/{id}")).into_response()),
            Err(e) => form_page(c, "/estates/new".into(), "/estates".into(), estate_fields(), &s, &Errors::default(), Some(store_alert(e)?)),
        },
    }
}

pub async fn estate_edit(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let e = reg::get_estate(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "estates", format!("{} · {}", lang.t("编辑"), e.name)).with_region(region::path(&state.db, &e.region_code).await?).crumb(e.name.clone(), format!("/estates/{id}")).crumb(lang.t("编辑"), "");
    form_page(c, format!("/estates/{id}/edit"), format!("/estates/{id}"), estate_fields(), &estate_values(&e.to_input()), &Errors::default(), None)
}

pub async fn estate_update(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    // Out of scope is not found, before any validation.
    reg::get_estate(&state.db, u.access(), id, state.today()).await?;
    let year = state.today().year();
    let c = PageCtx::new(lang, &u.0, "estates", lang.t("编辑")).crumb(lang.t("小区"), "/estates").crumb(lang.t("编辑"), "");
    match parse_estate(&s, year) {
        Err(errs) => form_page(c, format!("/estates/{id}/edit"), format!("/estates/{id}"), estate_fields(), &s, &errs, None),
        Ok(input) => match reg::update_estate(&state.db, u.access(), id, &input, year, state.today()).await {
            Ok(()) => Ok(Redirect::to(&format!("/estates/{id}")).into_response()),
            Err(e) => form_page(c, format!("/estates/{id}/edit"), format!("/estates/{id}"), estate_fields(), &s, &Errors::default(), Some(store_alert(e)?)),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Houses and buildings

#[derive(Debug, Deserialize)]
pub struct HouseListQuery {
    #[serde(flatten)]
    pub list: ListQuery,
    #[serde(default, deserialize_with = "reg::opt_i64")]
    pub estate_id: Option<i64>,
    #[serde(default, deserialize_with = "reg::opt_i64")]
    pub building_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "houses.html")]
pub struct HousesPage {
    pub c: PageCtx,
    pub houses: Vec<House>,
    pub show_estate: bool,
    pub pager: Pager,
    pub q: String,
    pub estate_id: i64,
    pub export_xlsx: String,
    pub export_csv: String,
}

pub async fn houses(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<HouseListQuery>) -> PageResult {
    let f = HouseFilter { estate_id: q.estate_id, building_id: q.building_id };
    let page = reg::list_houses(&state.db, u.access(), &q.list, &f, state.today()).await?;
    let pairs = base_pairs(&q.list, &[("estate_id", q.estate_id.map(|x| x.to_string()).unwrap_or_default()), ("building_id", q.building_id.map(|x| x.to_string()).unwrap_or_default())]);
    let base = link("/houses", &pairs);
    let c = PageCtx::new(lang, &u.0, "houses", lang.t("房屋")).with_region(region_path(&state, &u, q.list.region.as_deref()).await?).crumb(lang.t("房屋"), "").here(base.clone());
    let pager = Pager::new(&c, &page, &base);
    Ok(render(&HousesPage {
        pager,
        houses: page.items,
        show_estate: q.estate_id.is_none(),
        q: q.list.text(),
        estate_id: q.estate_id.unwrap_or(0),
        export_xlsx: link("/export/houses.xlsx", &pairs),
        export_csv: link("/export/houses.csv", &pairs),
        c,
    })?
    .into_response())
}

#[derive(Debug, Default, Clone)]
pub struct AddOwner {
    pub name: String,
    pub kind: String,
    pub id_code: String,
    pub phone: String,
}

#[derive(Template)]
#[template(path = "house.html")]
pub struct HousePage {
    pub c: PageCtx,
    pub h: House,
    pub owners: Vec<Owner>,
    pub occupants: Vec<Occupant>,
    pub add: AddOwner,
    pub alert: Option<String>,
}

async fn house_page(state: &AppState, lang: Lang, u: &User, id: i64, add: AddOwner, alert: Option<String>) -> PageResult {
    let h = reg::get_house(&state.db, u.access(), id, state.today()).await.map_err(|e| PageError::from(e).lang(lang))?;
    let owners = reg::house_owners(&state.db, u.access(), id, state.today()).await?;
    let occupants = reg::house_occupants(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "houses", format!("{} {}", h.estate_name, h.label()))
        .with_region(region::path(&state.db, &h.region_code).await?)
        .crumb(h.estate_name.clone(), format!("/estates/{}", h.estate_id))
        .crumb(h.label(), "")
        .here(format!("/houses/{id}"));
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let add = AddOwner { kind: if add.kind.is_empty() { "person".into() } else { add.kind }, ..add };
    Ok((status, render(&HousePage { c, h, owners, occupants, add, alert })?).into_response())
}

pub async fn house(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    house_page(&state, lang, &u, id, AddOwner::default(), None).await
}

/// Builds an owner from the add-owner form: the code is an ID number for a person and a
/// USCC for an organisation.
pub fn owner_from_form(s: &Submitted) -> OwnerInput {
    let kind = OwnerKind::parse(&s.get("kind")).unwrap_or(OwnerKind::Person);
    let code = s.opt("id_code");
    let (id_number, uscc) = match kind {
        OwnerKind::Person => (code, None),
        OwnerKind::Organisation => (None, code),
    };
    OwnerInput { kind, name: s.get("name"), id_number, uscc, phone: s.opt("phone") }
}

pub async fn house_add_owner(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    // Out of scope is not found, before any validation.
    reg::get_house(&state.db, u.access(), id, state.today()).await?;
    let o = owner_from_form(&s);
    match reg::add_house_owner(&state.db, u.access(), id, &o, state.today()).await {
        Ok(_) => Ok(Redirect::to(&format!("/houses/{id}")).into_response()),
        Err(e) => {
            let msg = store_alert(e)?;
            let add = AddOwner { name: s.get("name"), kind: s.get("kind"), id_code: s.get("id_code"), phone: s.get("phone") };
            house_page(&state, lang, &u, id, add, Some(msg)).await
        }
    }
}

pub async fn house_remove_owner(State(state): State<AppState>, u: User, Path((id, owner)): Path<(i64, i64)>) -> PageResult {
    reg::remove_house_owner(&state.db, u.access(), id, owner, state.today()).await?;
    Ok(Redirect::to(&format!("/houses/{id}")).into_response())
}

fn house_fields() -> Vec<Field> {
    vec![
        Field::text("building_no", "楼栋").required().hint("如 3 或 3号楼"),
        Field::text("unit_no", "单元").hint("不在单元内（如商铺）留空"),
        Field::text("room_no", "房号").required(),
        Field::number("floor", "楼层", ""),
        Field::number("building_area", "建筑面积", "m²").required(),
        Field::number("exclusive_area", "专有面积", "m²").required().hint("不大于建筑面积"),
        Field::select("house_use", "用途", options(HouseUse::ALL, HouseUse::code, HouseUse::label_zh)).required(),
        Field::select("status", "状态", options(HouseStatus::ALL, HouseStatus::code, HouseStatus::label_zh)).required(),
    ]
}

fn house_values(h: &HouseInput) -> Submitted {
    let mut m = std::collections::HashMap::new();
    m.insert("building_no".into(), h.building_no.clone());
    m.insert("unit_no".into(), h.unit_no.clone());
    m.insert("room_no".into(), h.room_no.clone());
    m.insert("floor".into(), h.floor.map(|f| f.to_string()).unwrap_or_default());
    m.insert("building_area".into(), wuye_domain::units::format_hundredths(h.building_area));
    m.insert("exclusive_area".into(), wuye_domain::units::format_hundredths(h.exclusive_area));
    m.insert("house_use".into(), h.house_use.code().into());
    m.insert("status".into(), h.status.code().into());
    Submitted(m)
}

pub fn parse_house(s: &Submitted) -> Result<HouseInput, Errors> {
    let mut errs = Errors::default();
    let building_no = normalize_building_no(&errs.required(s, "building_no"));
    let unit_no = normalize_unit_no(&s.get("unit_no"));
    let room_no = errs.required(s, "room_no");
    let floor = errs.int(s, "floor").map(|f| f as i32);
    let building_area = errs.hundredths(s, "building_area", true);
    let exclusive_area = errs.hundredths(s, "exclusive_area", true);
    let house_use = errs.choice(s, "house_use", HouseUse::parse);
    let status = errs.choice(s, "status", HouseStatus::parse);
    if let (Some(building_area), Some(exclusive_area), Some(house_use), Some(status)) = (building_area, exclusive_area, house_use, status) {
        let h = HouseInput { building_no, unit_no, room_no, floor, building_area, exclusive_area, house_use, status };
        errs.extend(h.validate());
        if errs.is_empty() {
            return Ok(h);
        }
    }
    Err(errs)
}

pub async fn house_new(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(estate): Path<i64>) -> PageResult {
    let e = reg::get_estate(&state.db, u.access(), estate, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "houses", format!("{} · {}", e.name, lang.t("登记房屋"))).with_region(region::path(&state.db, &e.region_code).await?).crumb(e.name.clone(), format!("/estates/{estate}")).crumb(lang.t("登记房屋"), "");
    let mut s = Submitted::default();
    s.0.insert("house_use".into(), "residential".into());
    s.0.insert("status".into(), "delivered".into());
    form_page(c, format!("/estates/{estate}/houses/new"), format!("/estates/{estate}"), house_fields(), &s, &Errors::default(), None)
}

pub async fn house_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(estate): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    reg::get_estate(&state.db, u.access(), estate, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "houses", lang.t("登记房屋")).crumb(lang.t("小区"), format!("/estates/{estate}")).crumb(lang.t("登记房屋"), "");
    let (action, cancel) = (format!("/estates/{estate}/houses/new"), format!("/estates/{estate}"));
    match parse_house(&s) {
        Err(errs) => form_page(c, action, cancel, house_fields(), &s, &errs, None),
        Ok(h) => match reg::create_house(&state.db, u.access(), estate, &h, state.today()).await {
            Ok(id) => Ok(Redirect::to(&format!("/houses/{id}")).into_response()),
            Err(e) => form_page(c, action, cancel, house_fields(), &s, &Errors::default(), Some(store_alert(e)?)),
        },
    }
}

pub async fn house_edit(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let h = reg::get_house(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "houses", format!("{} · {}", lang.t("编辑"), h.label())).with_region(region::path(&state.db, &h.region_code).await?).crumb(h.estate_name.clone(), format!("/estates/{}", h.estate_id)).crumb(h.label(), format!("/houses/{id}")).crumb(lang.t("编辑"), "");
    form_page(c, format!("/houses/{id}/edit"), format!("/houses/{id}"), house_fields(), &house_values(&h.to_input()), &Errors::default(), None)
}

pub async fn house_update(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    // Out of scope is not found, before any validation.
    reg::get_house(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "houses", lang.t("编辑")).crumb(lang.t("房屋"), format!("/houses/{id}")).crumb(lang.t("编辑"), "");
    let (action, cancel) = (format!("/houses/{id}/edit"), format!("/houses/{id}"));
    match parse_house(&s) {
        Err(errs) => form_page(c, action, cancel, house_fields(), &s, &errs, None),
        Ok(h) => match reg::update_house(&state.db, u.access(), id, &h, state.today()).await {
            Ok(()) => Ok(Redirect::to(&format!("/houses/{id}")).into_response()),
            Err(e) => form_page(c, action, cancel, house_fields(), &s, &Errors::default(), Some(store_alert(e)?)),
        },
    }
}

#[derive(Template)]
#[template(path = "building.html")]
pub struct BuildingPage {
    pub c: PageCtx,
    pub b: Building,
    pub estate_name: String,
    pub houses: Vec<House>,
    pub show_estate: bool,
    pub pager: Pager,
    pub alert: Option<String>,
}

async fn building_page(state: &AppState, lang: Lang, u: &User, id: i64, page: Option<i64>, alert: Option<String>) -> PageResult {
    let b = reg::get_building(&state.db, u.access(), id, state.today()).await.map_err(|e| PageError::from(e).lang(lang))?;
    let e = reg::get_estate(&state.db, u.access(), b.estate_id, state.today()).await?;
    let houses = reg::list_houses(&state.db, u.access(), &ListQuery { page, per_page: Some(200), ..Default::default() }, &HouseFilter { estate_id: Some(b.estate_id), building_id: Some(id) }, state.today()).await?;
    let base = format!("/buildings/{id}");
    let c = PageCtx::new(lang, &u.0, "estates", format!("{} {}", e.name, b.label())).with_region(region::path(&state.db, &e.region_code).await?).crumb(e.name.clone(), format!("/estates/{}", e.id)).crumb(b.label(), "").here(base.clone());
    let pager = Pager::new(&c, &houses, &base);
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&BuildingPage { c, b, estate_name: e.name, houses: houses.items, show_estate: false, pager, alert })?).into_response())
}

pub async fn building(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Query(q): Query<ListQuery>) -> PageResult {
    building_page(&state, lang, &u, id, q.page, None).await
}

pub async fn building_update(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    // Out of scope is not found, before any validation.
    reg::get_building(&state.db, u.access(), id, state.today()).await?;
    let mut errs = Errors::default();
    let floors = errs.int(&s, "floors").map(|f| f as i32);
    if !errs.is_empty() {
        return building_page(&state, lang, &u, id, None, Some("总层数应为整数".into())).await;
    }
    let elevator = match s.get("has_elevator").as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    match reg::update_building(&state.db, u.access(), id, floors, elevator, state.today()).await {
        Ok(()) => Ok(Redirect::to(&format!("/buildings/{id}")).into_response()),
        Err(e) => building_page(&state, lang, &u, id, None, Some(store_alert(e)?)).await,
    }
}

// ---------------------------------------------------------------------------------------
// Owners

#[derive(Template)]
#[template(path = "owners.html")]
pub struct OwnersPage {
    pub c: PageCtx,
    pub items: Vec<Owner>,
    pub pager: Pager,
    pub q: String,
}

pub async fn owners(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<ListQuery>) -> PageResult {
    let page = reg::list_owners(&state.db, u.access(), &q, state.today()).await?;
    let base = link("/owners", &base_pairs(&q, &[]));
    let c = PageCtx::new(lang, &u.0, "owners", lang.t("业主")).with_region(region_path(&state, &u, q.region.as_deref()).await?).crumb(lang.t("业主"), "").here(base.clone());
    let pager = Pager::new(&c, &page, &base);
    Ok(render(&OwnersPage { pager, items: page.items, q: q.text(), c })?.into_response())
}

#[derive(Template)]
#[template(path = "owner.html")]
pub struct OwnerPage {
    pub c: PageCtx,
    pub o: Owner,
    pub houses: Vec<House>,
    pub show_estate: bool,
    /// Personal data shown in clear after an audited request.
    pub revealed: Option<Revealed>,
    /// Whether the caller may ask to see it.
    pub may_reveal: bool,
    pub alert: Option<String>,
}

async fn owner_page(state: &AppState, lang: Lang, u: &User, id: i64, revealed: Option<Revealed>, alert: Option<String>) -> PageResult {
    let o = reg::get_owner(&state.db, u.access(), id, state.today()).await.map_err(|e| PageError::from(e).lang(lang))?;
    let houses = reg::owner_houses(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "owners", o.name.clone()).crumb(lang.t("业主"), "/owners").crumb(o.name.clone(), "").here(format!("/owners/{id}"));
    let own = matches!(u.access().scope(), wuye_domain::account::Scope::Owner(x) if *x == id);
    let (mi, mp) = u.access().may_unmask();
    let may_reveal = own || mi || mp;
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&OwnerPage { c, o, houses, show_estate: true, revealed, may_reveal, alert })?).into_response())
}

pub async fn owner(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    owner_page(&state, lang, &u, id, None, None).await
}

/// Shows an owner's ID number and phone in clear, for a stated purpose (logged).
pub async fn owner_reveal(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    match reg::reveal_owner(&state.db, u.access(), id, &s.get("purpose"), state.today()).await {
        Ok(r) => owner_page(&state, lang, &u, id, Some(r), None).await,
        Err(StoreError::Invalid(m)) => owner_page(&state, lang, &u, id, None, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

fn owner_fields() -> Vec<Field> {
    vec![
        Field::text("name", "业主名称").required(),
        Field::select("kind", "业主类型", options(OwnerKind::ALL, OwnerKind::code, OwnerKind::label_zh)).required(),
        Field::text("id_code", "证件号码").hint("个人填身份证号，单位填统一社会信用代码；留空则保留已登记的号码"),
        Field::text("phone", "手机号").hint("留空则保留已登记的号码"),
    ]
}

pub async fn owner_edit(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let o = reg::get_owner(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "owners", format!("{} · {}", lang.t("编辑"), o.name)).crumb(lang.t("业主"), "/owners").crumb(o.name.clone(), format!("/owners/{id}")).crumb(lang.t("编辑"), "");
    let mut m = std::collections::HashMap::new();
    m.insert("name".to_string(), o.name.clone());
    m.insert("kind".to_string(), o.kind.clone());
    // ID numbers and phones are never sent back to the browser: empty keeps the stored one.
    m.insert("id_code".to_string(), o.uscc.clone().unwrap_or_default());
    m.insert("phone".to_string(), String::new());
    form_page(c, format!("/owners/{id}/edit"), format!("/owners/{id}"), owner_fields(), &Submitted(m), &Errors::default(), None)
}

pub async fn owner_update(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    // Out of scope is not found, before any validation.
    reg::get_owner(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "owners", lang.t("编辑")).crumb(lang.t("业主"), "/owners").crumb(lang.t("编辑"), "");
    let mut o = owner_from_form(&s);
    let mut errs = Errors::default();
    for e in o.normalize() {
        let f = match e.field {
            "owner_name" => "name",
            "id_number" | "uscc" => "id_code",
            other => other,
        };
        errs.add(f, e.reason);
    }
    let (action, cancel) = (format!("/owners/{id}/edit"), format!("/owners/{id}"));
    if !errs.is_empty() {
        return form_page(c, action, cancel, owner_fields(), &s, &errs, None);
    }
    match reg::update_owner(&state.db, u.access(), id, &o, state.today()).await {
        Ok(()) => Ok(Redirect::to(&format!("/owners/{id}")).into_response()),
        Err(e) => form_page(c, action, cancel, owner_fields(), &s, &Errors::default(), Some(store_alert(e)?)),
    }
}

// ---------------------------------------------------------------------------------------
// Enterprises

#[derive(Template)]
#[template(path = "enterprises.html")]
pub struct EnterprisesPage {
    pub c: PageCtx,
    pub items: Vec<Enterprise>,
    pub pager: Pager,
    pub q: String,
    pub export_xlsx: String,
    pub export_csv: String,
    pub list: ListQuery,
}

impl EnterprisesPage {
    pub fn sort_link(&self, key: &str) -> String {
        sort_link_for("/enterprises", &self.list, &[], key)
    }
}

pub async fn enterprises(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<ListQuery>) -> PageResult {
    let page = reg::list_enterprises(&state.db, u.access(), &q, state.today()).await?;
    let pairs = base_pairs(&q, &[]);
    let base = link("/enterprises", &pairs);
    let c = PageCtx::new(lang, &u.0, "enterprises", lang.t("物业服务企业")).with_region(region_path(&state, &u, q.region.as_deref()).await?).crumb(lang.t("物业服务企业"), "").here(base.clone());
    let pager = Pager::new(&c, &page, &base);
    Ok(render(&EnterprisesPage {
        pager,
        items: page.items,
        q: q.text(),
        export_xlsx: link("/export/enterprises.xlsx", &pairs),
        export_csv: link("/export/enterprises.csv", &pairs),
        list: q,
        c,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "enterprise.html")]
pub struct EnterprisePage {
    pub c: PageCtx,
    pub n: Enterprise,
    pub contracts: Vec<Contract>,
    pub today: NaiveDate,
    pub pager: Pager,
}

pub async fn enterprise(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Query(q): Query<ListQuery>) -> PageResult {
    let today = state.today();
    let n = reg::get_enterprise(&state.db, u.access(), id, today).await.map_err(|e| PageError::from(e).lang(lang))?;
    let page = reg::list_contracts(&state.db, u.access(), &ListQuery { page: q.page, ..Default::default() }, &ContractFilter { enterprise_id: Some(id), ..Default::default() }, today).await?;
    let base = format!("/enterprises/{id}");
    let c = PageCtx::new(lang, &u.0, "enterprises", n.name.clone()).crumb(lang.t("物业服务企业"), "/enterprises").crumb(n.name.clone(), "").here(base.clone());
    let pager = Pager::new(&c, &page, &base);
    Ok(render(&EnterprisePage { c, n, contracts: page.items, today, pager })?.into_response())
}

fn enterprise_fields() -> Vec<Field> {
    vec![
        Field::text("name", "名称").required(),
        Field::text("uscc", "统一社会信用代码").required().hint("18 位，校验位按 GB 32100"),
        Field::text("legal_representative", "法定代表人"),
        Field::text("region_code", "注册地").hint("区划代码，任一级，如 640104"),
        Field::text("contact_person", "联系人"),
        Field::text("contact_phone", "联系电话"),
        Field::text("address", "地址"),
    ]
}

pub fn parse_enterprise(s: &Submitted) -> Result<EnterpriseInput, Errors> {
    let mut errs = Errors::default();
    let name = errs.required(s, "name");
    let uscc = errs.required(s, "uscc");
    let region_code = match s.opt("region_code") {
        None => None,
        Some(c) => match RegionCode::parse(&c) {
            Ok(c) => Some(c),
            Err(e) => {
                errs.add("region_code", e.to_string());
                None
            }
        },
    };
    let mut e = EnterpriseInput {
        name,
        uscc,
        legal_representative: s.get("legal_representative"),
        region_code,
        contact_person: s.get("contact_person"),
        contact_phone: s.opt("contact_phone"),
        address: s.get("address"),
    };
    if !s.get("uscc").is_empty() {
        errs.extend(e.normalize());
    }
    if errs.is_empty() { Ok(e) } else { Err(errs) }
}

fn enterprise_values(n: &Enterprise) -> Submitted {
    let mut m = std::collections::HashMap::new();
    m.insert("name".into(), n.name.clone());
    m.insert("uscc".into(), n.uscc.clone());
    m.insert("legal_representative".into(), n.legal_representative.clone());
    m.insert("region_code".into(), n.region_code.clone().unwrap_or_default());
    m.insert("contact_person".into(), n.contact_person.clone());
    m.insert("contact_phone".into(), n.contact_phone.clone().unwrap_or_default());
    m.insert("address".into(), n.address.clone());
    Submitted(m)
}

pub async fn enterprise_new(UiLang(lang): UiLang, u: User) -> PageResult {
    let c = PageCtx::new(lang, &u.0, "enterprises", lang.t("登记企业")).crumb(lang.t("物业服务企业"), "/enterprises").crumb(lang.t("登记企业"), "");
    form_page(c, "/enterprises/new".into(), "/enterprises".into(), enterprise_fields(), &Submitted::default(), &Errors::default(), None)
}

pub async fn enterprise_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    let c = PageCtx::new(lang, &u.0, "enterprises", lang.t("登记企业")).crumb(lang.t("物业服务企业"), "/enterprises").crumb(lang.t("登记企业"), "");
    let (action, cancel) = ("/enterprises/new".to_string(), "/enterprises".to_string());
    match parse_enterprise(&s) {
        Err(errs) => form_page(c, action, cancel, enterprise_fields(), &s, &errs, None),
        Ok(e) => match reg::create_enterprise(&state.db, u.access(), &e).await {
            Ok(id) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
            Err(e) => form_page(c, action, cancel, enterprise_fields(), &s, &Errors::default(), Some(store_alert(e)?)),
        },
    }
}

pub async fn enterprise_edit(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let n = reg::get_enterprise(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "enterprises", format!("{} · {}", lang.t("编辑"), n.name)).crumb(lang.t("物业服务企业"), "/enterprises").crumb(n.name.clone(), format!("/enterprises/{id}")).crumb(lang.t("编辑"), "");
    form_page(c, format!("/enterprises/{id}/edit"), format!("/enterprises/{id}"), enterprise_fields(), &enterprise_values(&n), &Errors::default(), None)
}

pub async fn enterprise_update(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    // Out of scope is not found, before any validation.
    reg::get_enterprise(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "enterprises", lang.t("编辑")).crumb(lang.t("物业服务企业"), "/enterprises").crumb(lang.t("编辑"), "");
    let (action, cancel) = (format!("/enterprises/{id}/edit"), format!("/enterprises/{id}"));
    match parse_enterprise(&s) {
        Err(errs) => form_page(c, action, cancel, enterprise_fields(), &s, &errs, None),
        Ok(e) => match reg::update_enterprise(&state.db, u.access(), id, &e, state.today()).await {
            Ok(()) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
            Err(e) => form_page(c, action, cancel, enterprise_fields(), &s, &Errors::default(), Some(store_alert(e)?)),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Contracts

#[derive(Debug, Deserialize)]
pub struct ContractListQuery {
    #[serde(flatten)]
    pub list: ListQuery,
    pub state: Option<String>,
    #[serde(default, deserialize_with = "reg::opt_i64")]
    pub estate_id: Option<i64>,
    #[serde(default, deserialize_with = "reg::opt_i64")]
    pub enterprise_id: Option<i64>,
}

impl ContractListQuery {
    pub fn filter(&self) -> ContractFilter {
        let state = match self.state.as_deref() {
            Some("in_force") => Some(ContractState::InForce),
            Some("expired") => Some(ContractState::Expired),
            Some("pending") => Some(ContractState::Pending),
            _ => None,
        };
        ContractFilter { estate_id: self.estate_id, enterprise_id: self.enterprise_id, state }
    }
}

#[derive(Template)]
#[template(path = "contracts.html")]
pub struct ContractsPage {
    pub c: PageCtx,
    pub contracts: Vec<Contract>,
    pub today: NaiveDate,
    pub pager: Pager,
    pub q: String,
    pub state: String,
    pub export_xlsx: String,
    pub export_csv: String,
}

pub async fn contracts(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Query(q): Query<ContractListQuery>) -> PageResult {
    let today = state.today();
    let page = reg::list_contracts(&state.db, u.access(), &q.list, &q.filter(), today).await?;
    let pairs = base_pairs(
        &q.list,
        &[
            ("state", q.state.clone().unwrap_or_default()),
            ("estate_id", q.estate_id.map(|x| x.to_string()).unwrap_or_default()),
            ("enterprise_id", q.enterprise_id.map(|x| x.to_string()).unwrap_or_default()),
        ],
    );
    let base = link("/contracts", &pairs);
    let c = PageCtx::new(lang, &u.0, "contracts", lang.t("物业服务合同")).with_region(region_path(&state, &u, q.list.region.as_deref()).await?).crumb(lang.t("物业服务合同"), "").here(base.clone());
    let pager = Pager::new(&c, &page, &base);
    Ok(render(&ContractsPage {
        pager,
        contracts: page.items,
        today,
        q: q.list.text(),
        state: q.state.clone().unwrap_or_default(),
        export_xlsx: link("/export/contracts.xlsx", &pairs),
        export_csv: link("/export/contracts.csv", &pairs),
        c,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "contract.html")]
pub struct ContractPage {
    pub c: PageCtx,
    pub k: Contract,
    pub today: NaiveDate,
}

pub async fn contract(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let k = reg::get_contract(&state.db, u.access(), id, state.today()).await.map_err(|e| PageError::from(e).lang(lang))?;
    let c = PageCtx::new(lang, &u.0, "contracts", format!("{} · {}", k.estate_name, k.kind_zh())).with_region(region::path(&state.db, &k.region_code).await?).crumb(lang.t("物业服务合同"), "/contracts").crumb(k.estate_name.clone(), "").here(format!("/contracts/{id}"));
    Ok(render(&ContractPage { c, k, today: state.today() })?.into_response())
}

fn contract_fields() -> Vec<Field> {
    vec![
        Field::number("estate_id", "所属小区", "").required().hint("小区编号（见小区详情页）"),
        Field::number("enterprise_id", "服务企业", "").required().hint("企业编号（见企业详情页）"),
        Field::select("kind", "合同类型", options(ContractKind::ALL, ContractKind::code, ContractKind::label_zh)).required(),
        Field::date("start_date", "开始日期").required(),
        Field::date("end_date", "结束日期").hint("含当日；不定期合同留空"),
        Field::number("fee", "物业费", "元/m²·月").required(),
        Field::select("fee_model", "计费方式", options(FeeModel::ALL, FeeModel::code, FeeModel::label_zh)).required(),
    ]
}

pub fn parse_contract(s: &Submitted) -> Result<ContractInput, Errors> {
    let mut errs = Errors::default();
    let estate_id = errs.int(s, "estate_id");
    let enterprise_id = errs.int(s, "enterprise_id");
    if estate_id.is_none() {
        errs.add("estate_id", "必填");
    }
    if enterprise_id.is_none() {
        errs.add("enterprise_id", "必填");
    }
    let kind = errs.choice(s, "kind", ContractKind::parse);
    let start = errs.date(s, "start_date", true);
    let end = errs.date(s, "end_date", false);
    let fee = errs.hundredths(s, "fee", true);
    let model = errs.choice(s, "fee_model", FeeModel::parse);
    if let (Some(estate_id), Some(enterprise_id), Some(kind), Some(start_date), Some(fee), Some(fee_model)) = (estate_id, enterprise_id, kind, start, fee, model) {
        let c = ContractInput { estate_id, enterprise_id, kind, start_date, end_date: end, fee_fen_per_m2_month: fee, fee_model };
        for e in c.validate() {
            let f = if e.field == "fee_fen_per_m2_month" { "fee" } else { e.field };
            errs.add(f, e.reason);
        }
        if errs.is_empty() {
            return Ok(c);
        }
    }
    Err(errs)
}

#[derive(Debug, Deserialize)]
pub struct NewContractQuery {
    #[serde(default, deserialize_with = "reg::opt_i64")]
    pub estate_id: Option<i64>,
    #[serde(default, deserialize_with = "reg::opt_i64")]
    pub enterprise_id: Option<i64>,
}

pub async fn contract_new(UiLang(lang): UiLang, u: User, Query(q): Query<NewContractQuery>) -> PageResult {
    let c = PageCtx::new(lang, &u.0, "contracts", lang.t("登记合同")).crumb(lang.t("物业服务合同"), "/contracts").crumb(lang.t("登记合同"), "");
    let mut s = Submitted::default();
    if let Some(e) = q.estate_id {
        s.0.insert("estate_id".into(), e.to_string());
    }
    if let Some(e) = q.enterprise_id {
        s.0.insert("enterprise_id".into(), e.to_string());
    }
    s.0.insert("kind".into(), "regular".into());
    s.0.insert("fee_model".into(), "lump_sum".into());
    form_page(c, "/contracts/new".into(), "/contracts".into(), contract_fields(), &s, &Errors::default(), None)
}

pub async fn contract_create(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Form(s): Form<Submitted>) -> PageResult {
    let c = PageCtx::new(lang, &u.0, "contracts", lang.t("登记合同")).crumb(lang.t("物业服务合同"), "/contracts").crumb(lang.t("登记合同"), "");
    let (action, cancel) = ("/contracts/new".to_string(), "/contracts".to_string());
    match parse_contract(&s) {
        Err(errs) => form_page(c, action, cancel, contract_fields(), &s, &errs, None),
        Ok(k) => match reg::create_contract(&state.db, u.access(), &k, state.today()).await {
            Ok(id) => Ok(Redirect::to(&format!("/contracts/{id}")).into_response()),
            Err(e) => form_page(c, action, cancel, contract_fields(), &s, &Errors::default(), Some(store_alert(e)?)),
        },
    }
}

pub async fn contract_edit(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>) -> PageResult {
    let k = reg::get_contract(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "contracts", lang.t("编辑")).crumb(lang.t("物业服务合同"), "/contracts").crumb(k.estate_name.clone(), format!("/contracts/{id}")).crumb(lang.t("编辑"), "");
    let mut m = std::collections::HashMap::new();
    m.insert("estate_id".to_string(), k.estate_id.to_string());
    m.insert("enterprise_id".to_string(), k.enterprise_id.to_string());
    m.insert("kind".to_string(), k.kind.clone());
    m.insert("start_date".to_string(), k.start_date.to_string());
    m.insert("end_date".to_string(), k.end_date.map(|d| d.to_string()).unwrap_or_default());
    m.insert("fee".to_string(), wuye_domain::units::format_hundredths(k.fee_fen_per_m2_month));
    m.insert("fee_model".to_string(), k.fee_model.clone());
    form_page(c, format!("/contracts/{id}/edit"), format!("/contracts/{id}"), contract_fields(), &Submitted(m), &Errors::default(), None)
}

pub async fn contract_update(State(state): State<AppState>, UiLang(lang): UiLang, u: User, Path(id): Path<i64>, Form(s): Form<Submitted>) -> PageResult {
    // Out of scope is not found, before any validation.
    reg::get_contract(&state.db, u.access(), id, state.today()).await?;
    let c = PageCtx::new(lang, &u.0, "contracts", lang.t("编辑")).crumb(lang.t("物业服务合同"), "/contracts").crumb(lang.t("编辑"), "");
    let (action, cancel) = (format!("/contracts/{id}/edit"), format!("/contracts/{id}"));
    match parse_contract(&s) {
        Err(errs) => form_page(c, action, cancel, contract_fields(), &s, &errs, None),
        Ok(k) => match reg::update_contract(&state.db, u.access(), id, &k, state.today()).await {
            Ok(()) => Ok(Redirect::to(&format!("/contracts/{id}")).into_response()),
            Err(e) => form_page(c, action, cancel, contract_fields(), &s, &Errors::default(), Some(store_alert(e)?)),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Exports of the lists, with the same filters as the pages.

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(flatten)]
    pub list: ListQuery,
    pub covered: Option<String>,
    #[serde(default, deserialize_with = "reg::opt_i64")]
    pub estate_id: Option<i64>,
    #[serde(default, deserialize_with = "reg::opt_i64")]
    pub building_id: Option<i64>,
    #[serde(default, deserialize_with = "reg::opt_i64")]
    pub enterprise_id: Option<i64>,
    pub state: Option<String>,
    /// `1`: ID numbers and phones in full (roles that may; logged).
    pub full: Option<String>,
}

pub async fn export(State(state): State<AppState>, u: User, Path(file): Path<String>, Query(q): Query<ExportQuery>) -> PageResult {
    let today = state.today();
    let (stem, _) = file.rsplit_once('.').ok_or_else(PageError::not_found)?;
    if stem == "coverage" {
        return super::dashboard::export(State(state), u, Path(file), Query(super::dashboard::DashQuery { region: q.list.region.clone(), basis: None })).await;
    }
    if stem == "cases-figures" {
        return super::dashboard::export_cases(State(state), u, Path(file), Query(super::dashboard::DashQuery { region: q.list.region.clone(), basis: None })).await;
    }
    // tender: BEGIN
    if stem == "tender-figures" {
        return super::dashboard::export_tender(State(state), u, Path(file), Query(super::dashboard::DashQuery { region: q.list.region.clone(), basis: None })).await;
    }
    // tender: END
    if stem == "safety-figures" {
        return super::dashboard::export_safety(State(state), u, Path(file), Query(super::dashboard::DashQuery { region: q.list.region.clone(), basis: None })).await;
    }
    // credit-public: BEGIN
    if stem == "credit-figures" {
        return super::dashboard::export_credit(State(state), u, Path(file), Query(super::dashboard::DashQuery { region: q.list.region.clone(), basis: None })).await;
    }
    // credit-public: END
    if stem == "assembly-fund" {
        return super::dashboard::export_assembly_fund(State(state), u, Path(file), Query(super::dashboard::DashQuery { region: q.list.region.clone(), basis: None })).await;
    }
    let (layout, rows) = match stem {
        "estates" => {
            let mut rows = wuye_store::export::estates(&state.db, u.access(), &q.list, today).await?;
            if let Some(f) = covered_filter(q.covered.as_deref()) {
                // Same filter as the page: keep the rows of the covered/uncovered estates.
                let keep: std::collections::HashSet<(String, String)> = reg::list_estates(&state.db, u.access(), &q.list.unpaged(), Some(f), today).await?.items.into_iter().map(|e| (e.region_code, e.name)).collect();
                rows.retain(|r| match (&r[1], &r[0]) {
                    (wuye_ledger::Out::Text(code), wuye_ledger::Out::Text(name)) => keep.contains(&(code.clone(), name.clone())),
                    _ => false,
                });
            }
            (wuye_domain::ledger::ESTATES, rows)
        }
        "houses" => (wuye_domain::ledger::HOUSES, wuye_store::export::houses(&state.db, u.access(), &q.list, &HouseFilter { estate_id: q.estate_id, building_id: q.building_id }, state.today(), q.full.as_deref() == Some("1")).await?),
        "enterprises" => (wuye_domain::ledger::ENTERPRISES, wuye_store::export::enterprises(&state.db, u.access(), &q.list, today).await?),
        "contracts" => {
            let f = ContractListQuery { list: q.list.clone(), state: q.state.clone(), estate_id: q.estate_id, enterprise_id: q.enterprise_id }.filter();
            (wuye_domain::ledger::CONTRACTS, wuye_store::export::contracts(&state.db, u.access(), &q.list, &f, today).await?)
        }
        _ => return Err(PageError::not_found()),
    };
    let name = format!("{}-{}", layout.title, today);
    super::dashboard::file_response(&file, &name, layout.sheet, &layout.headers(), rows)
}
