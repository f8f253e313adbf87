//! HTML forms: fields as entered (text), parsed into domain inputs with an error per field,
//! re-rendered with the entered values after an error.

use serde::Deserialize;
use std::collections::HashMap;
use wuye_domain::registry::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Date,
    Select,
}

/// One field of a form.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub value: String,
    /// (value, Chinese label) for selects.
    pub options: Vec<(String, &'static str)>,
    pub unit: &'static str,
    pub required: bool,
    pub hint: String,
    pub error: Option<String>,
}

impl Field {
    pub fn text(name: &'static str, label: &'static str) -> Field {
        Field { name, label, kind: Kind::Text, value: String::new(), options: Vec::new(), unit: "", required: false, hint: String::new(), error: None }
    }
    pub fn number(name: &'static str, label: &'static str, unit: &'static str) -> Field {
        Field { kind: Kind::Number, unit, ..Field::text(name, label) }
    }
    pub fn date(name: &'static str, label: &'static str) -> Field {
        Field { kind: Kind::Date, ..Field::text(name, label) }
    }
    pub fn select(name: &'static str, label: &'static str, options: Vec<(String, &'static str)>) -> Field {
        Field { kind: Kind::Select, options, ..Field::text(name, label) }
    }
    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }
    pub fn hint(mut self, h: impl Into<String>) -> Field {
        self.hint = h.into();
        self
    }
}

/// Options of a code enum: (code, Chinese label).
pub fn options<T: Copy>(all: &[T], code: fn(T) -> &'static str, zh: fn(T) -> &'static str) -> Vec<(String, &'static str)> {
    all.iter().map(|v| (code(*v).to_string(), zh(*v))).collect()
}

/// Submitted values by name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Submitted(pub HashMap<String, String>);

impl Submitted {
    pub fn get(&self, k: &str) -> String {
        self.0.get(k).map(|s| s.trim().to_string()).unwrap_or_default()
    }
    pub fn opt(&self, k: &str) -> Option<String> {
        Some(self.get(k)).filter(|s| !s.is_empty())
    }
}

/// Collects parse errors per field while building an input.
#[derive(Default)]
pub struct Errors(pub HashMap<&'static str, String>);

impl Errors {
    pub fn add(&mut self, field: &'static str, msg: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| msg.into());
    }
    pub fn extend(&mut self, errs: Vec<FieldError>) {
        for e in errs {
            self.add(e.field, e.reason);
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn required(&mut self, s: &Submitted, k: &'static str) -> String {
        let v = s.get(k);
        if v.is_empty() {
            self.add(k, "必填");
        }
        v
    }
    /// Square metres or yuan as hundredths.
    pub fn hundredths(&mut self, s: &Submitted, k: &'static str, required: bool) -> Option<i64> {
        let v = s.get(k);
        if v.is_empty() {
            if required {
                self.add(k, "必填");
            }
            return None;
        }
        match wuye_domain::units::parse_hundredths(&v) {
            Ok(x) => Some(x),
            Err(e) => {
                self.add(k, e.to_string());
                None
            }
        }
    }
    pub fn int(&mut self, s: &Submitted, k: &'static str) -> Option<i64> {
        let v = s.get(k);
        if v.is_empty() {
            return None;
        }
        match v.parse() {
            Ok(x) => Some(x),
            Err(_) => {
                self.add(k, "应为整数");
                None
            }
        }
    }
    pub fn date(&mut self, s: &Submitted, k: &'static str, required: bool) -> Option<chrono::NaiveDate> {
        let v = s.get(k);
        if v.is_empty() {
            if required {
                self.add(k, "必填");
            }
            return None;
        }
        let d = wuye_domain::ledger::parse_date_text(&v);
        if d.is_none() {
            self.add(k, "不是有效日期（如 2024-05-01）");
        }
        d
    }
    pub fn choice<T>(&mut self, s: &Submitted, k: &'static str, parse: fn(&str) -> Option<T>) -> Option<T> {
        let v = s.get(k);
        let r = parse(&v);
        if r.is_none() {
            self.add(k, if v.is_empty() { "必填".to_string() } else { format!("无效的选项 {v:?}") });
        }
        r
    }
}

/// Puts the submitted values and the errors back into the fields.
pub fn refill(fields: &mut [Field], s: &Submitted, errors: &Errors) {
    for f in fields {
        if let Some(v) = s.0.get(f.name) {
            f.value = v.clone();
        }
        f.error = errors.0.get(f.name).cloned();
    }
}

/// A file uploaded with a form: its name as sent and its bytes.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Reads a form sent either urlencoded or as `multipart/form-data` (a form with a file
/// input; its CSRF token then travels in the query, `?csrf=`, as on the import page). Text
/// fields go into [`Submitted`], file fields by name into the uploads. An unreadable body
/// (or one beyond the route's body limit) is an error message for the page.
pub async fn form_with_files(req: axum::extract::Request) -> Result<(Submitted, HashMap<String, Upload>), String> {
    let (s, files) = form_with_file_list(req).await?;
    Ok((s, files.into_iter().collect()))
}

/// [`form_with_files`] keeping every file part in order with its field name (a `multiple`
/// input sends several under one name; an input left empty sends one with no name and no
/// bytes).
pub async fn form_with_file_list(req: axum::extract::Request) -> Result<(Submitted, Vec<(String, Upload)>), String> {
    use axum::extract::FromRequest;
    let multipart = req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|c| c.starts_with("multipart/form-data"));
    if !multipart {
        let axum::Form(s) = axum::Form::<Submitted>::from_request(req, &()).await.map_err(|e| format!("表单无法读取：{}", e.body_text()))?;
        return Ok((s, Vec::new()));
    }
    let mut mp = axum::extract::Multipart::from_request(req, &()).await.map_err(|e| format!("表单无法读取：{}", e.body_text()))?;
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(format!("上传失败（文件可能过大）：{e}")),
        };
        let name = field.name().unwrap_or("").to_string();
        if let Some(file_name) = field.file_name().map(|s| s.to_string()) {
            let bytes = field.bytes().await.map_err(|e| format!("上传失败（文件可能过大）：{e}"))?;
            files.push((name, Upload { file_name, bytes: bytes.to_vec() }));
        } else {
            let v = field.text().await.map_err(|e| format!("上传失败：{e}"))?;
            fields.insert(name, v);
        }
    }
    Ok((Submitted(fields), files))
}
