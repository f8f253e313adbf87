//! The upload page for ledger imports and its result page.

use super::render;
use crate::AppState;
use crate::auth::User;
use crate::ctx::{PageCtx, UiLang};
use crate::error::PageError;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wuye_domain::ledger::{ALL_LAYOUTS, Layout, LayoutKind};
use wuye_store::import::{ImportError, ImportOptions, ImportReport, ImportRun, Quiet, import_file, recent_runs};

pub struct RunRow {
    pub run: ImportRun,
    pub when: String,
    pub layout: String,
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub c: PageCtx,
    pub layouts: Vec<(String, String)>,
    pub layout: String,
    pub estate_id: String,
    pub docs: Vec<Layout>,
    pub runs: Vec<RunRow>,
    pub alert: Option<String>,
}

#[derive(Template)]
#[template(path = "import_result.html")]
pub struct ImportResultPage {
    pub c: PageCtx,
    pub r: ImportReport,
    pub estate_id: Option<i64>,
}

pub fn layout_code(k: LayoutKind) -> &'static str {
    match k {
        LayoutKind::Estates => "estates",
        LayoutKind::Houses => "houses",
        LayoutKind::Enterprises => "enterprises",
        LayoutKind::Contracts => "contracts",
        LayoutKind::HcRooms => "hc_rooms",
    }
}

pub fn layout_from_code(s: &str) -> Option<LayoutKind> {
    ALL_LAYOUTS.iter().map(|l| l.kind).find(|k| layout_code(*k) == s)
}

async fn page(state: &AppState, c: PageCtx, layout: &str, estate_id: &str, alert: Option<String>) -> Result<Response, PageError> {
    let runs = recent_runs(&state.db, 20)
        .await?
        .into_iter()
        .map(|run| {
            let when = run.created_at.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M").to_string();
            let layout = layout_from_code(&run.layout).map(|k| wuye_store::import::layout_of(k).title.to_string()).unwrap_or_else(|| run.layout.clone());
            RunRow { run, when, layout }
        })
        .collect();
    let status = if alert.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let p = ImportPage {
        c,
        layouts: ALL_LAYOUTS.iter().map(|l| (layout_code(l.kind).to_string(), l.title.to_string())).collect(),
        layout: layout.to_string(),
        estate_id: estate_id.to_string(),
        docs: ALL_LAYOUTS.to_vec(),
        runs,
        alert,
    };
    Ok((status, render(&p)?).into_response())
}

pub async fn form(State(state): State<AppState>, UiLang(lang): UiLang, u: User) -> Result<Response, PageError> {
    u.access().require(wuye_domain::account::Action::Create, wuye_domain::account::Resource::Import)?;
    let c = PageCtx::new(lang, &u.0, "import", lang.t("台账导入")).crumb(lang.t("台账导入"), "").here("/import");
    page(&state, c, "houses", "", None).await
}

pub async fn upload(State(state): State<AppState>, UiLang(lang): UiLang, u: User, mut mp: Multipart) -> Result<Response, PageError> {
    let c = PageCtx::new(lang, &u.0, "import", lang.t("台账导入")).crumb(lang.t("台账导入"), "/import").here("/import");
    let mut layout = String::from("houses");
    let mut estate = String::new();
    let mut skip = false;
    let mut replace = false;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return page(&state, c, &layout, &estate, Some(format!("上传失败: {e}"))).await,
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                let fname = field.file_name().unwrap_or("upload").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((fname, b.to_vec())),
                    Err(e) => return page(&state, c, &layout, &estate, Some(format!("上传失败: {e}"))).await,
                }
            }
            other => {
                let v = field.text().await.unwrap_or_default();
                match other {
                    "layout" => layout = v,
                    "estate_id" => estate = v.trim().to_string(),
                    "skip_invalid" => skip = !v.is_empty(),
                    "replace_owners" => replace = !v.is_empty(),
                    _ => {}
                }
            }
        }
    }
    let Some(kind) = layout_from_code(&layout) else {
        return page(&state, c, &layout, &estate, Some("请选择导入类型".into())).await;
    };
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return page(&state, c, &layout, &estate, Some("请选择要导入的文件（文件为空）".into())).await;
    };
    let estate_id = if estate.is_empty() {
        None
    } else {
        match estate.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => return page(&state, c, &layout, &estate, Some(format!("小区编号应为整数: {estate}"))).await,
        }
    };
    let opts = ImportOptions { layout: kind, estate_id, skip_invalid: skip, replace_owners: replace, file_name, today: state.today() };
    let result = import_file(&state.db, u.access(), &bytes, &opts, &Quiet).await;
    let c = c.crumb(lang.t("导入结果"), "");
    match result {
        Ok(r) => Ok(render(&ImportResultPage { c, r, estate_id })?.into_response()),
        Err(ImportError::Rejected(r)) => Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&ImportResultPage { c, r: *r, estate_id })?).into_response()),
        Err(ImportError::File(m)) => page(&state, c, &layout, &estate, Some(format!("{}: {m}", opts.file_name))).await,
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}
