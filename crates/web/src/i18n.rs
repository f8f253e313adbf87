//! Chinese first, English second. Templates and handlers write Chinese text and call
//! `t("…")`; in English mode the phrase is looked up here and falls back to Chinese when
//! missing (a test checks that every phrase used in the templates has an entry).

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_code(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") { Lang::En } else { Lang::Zh }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    /// The phrase in this language (Chinese is the source text).
    pub fn t<'a>(self, zh: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => EN.get(zh).copied().unwrap_or(zh),
        }
    }
}

/// Chinese → English.
pub static EN: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| PAIRS.iter().copied().collect());

pub const PAIRS: &[(&str, &str)] = &[
    ("物业", "Wuye"),
    ("住宅物业管理监管与服务平台", "Residential property management platform"),
    ("监管总览", "Overview"),
    ("覆盖率总览", "Coverage dashboard"),
    ("基础信息", "Registry"),
    ("小区", "Estates"),
    ("小区名称", "Estate"),
    ("房屋", "Houses"),
    ("业主", "Owners"),
    ("物业服务企业", "Enterprises"),
    ("物业服务合同", "Service contracts"),
    ("台账导入", "Ledger import"),
    ("投票与维修资金", "Voting & fund"),
    ("信用与招投标", "Credit & tendering"),
    ("安全", "Safety"),
    ("联席会议与调解", "Cases & mediation"),
    ("日常服务", "Daily service"),
    ("统计", "Statistics"),
    ("即将上线", "coming soon"),
    ("当前区域", "Region in focus"),
    ("全省", "Province"),
    ("角色", "Role"),
    ("平台管理员", "Platform administrator"),
    ("首页", "Home"),
    ("小区数", "Estates"),
    ("房屋数", "Houses"),
    ("建筑面积", "Building area"),
    ("专有面积", "Exclusive area"),
    ("物业服务覆盖率", "Property-service coverage"),
    ("按小区", "by estates"),
    ("按户数", "by houses"),
    ("按面积", "by area"),
    ("目标", "target"),
    ("达标", "Meets target"),
    ("未达标", "Below target"),
    ("下级区域", "Child regions"),
    ("区域", "Region"),
    ("已覆盖", "Covered"),
    ("未覆盖", "Not covered"),
    ("覆盖率", "Coverage"),
    ("导出 Excel", "Export Excel"),
    ("导出 CSV", "Export CSV"),
    ("合计", "Total"),
    ("口径", "Basis"),
    ("有效合同", "Contract in force"),
    ("该区域还没有登记小区。", "No estates registered in this region yet."),
    ("登记小区", "Register an estate"),
    ("导入台账", "Import a ledger"),
    ("查询", "Search"),
    ("关键字", "Keyword"),
    ("全部", "All"),
    ("编辑", "Edit"),
    ("保存", "Save"),
    ("取消", "Cancel"),
    ("删除", "Remove"),
    ("详情", "Details"),
    ("所在社区", "Community"),
    ("地址", "Address"),
    ("小区类型", "Kind"),
    ("建成年份", "Year built"),
    ("占地面积", "Land area"),
    ("有无电梯", "Elevator"),
    ("有", "yes"),
    ("无", "no"),
    ("管理方式", "Management"),
    ("服务企业", "Enterprise"),
    ("合同状态", "Contract"),
    ("无有效合同", "No contract in force"),
    ("登记为企业管理，但无有效合同", "Declared as enterprise-managed, but no contract in force"),
    ("楼栋", "Buildings"),
    ("单元", "Unit"),
    ("房号", "Room"),
    ("楼层", "Floor"),
    ("总层数", "Floors"),
    ("用途", "Use"),
    ("状态", "Status"),
    ("业主名称", "Owner"),
    ("证件号码", "ID / USCC"),
    ("手机号", "Phone"),
    ("业主类型", "Owner type"),
    ("住户", "Occupants"),
    ("共 {} 条", "{} in all"),
    ("超过 {} 条", "more than {}"),
    ("上一页", "Previous"),
    ("下一页", "Next"),
    ("第 {} / {} 页", "Page {} of {}"),
    ("没有找到符合条件的记录。", "Nothing matches these filters."),
    ("统一社会信用代码", "USCC"),
    ("法定代表人", "Legal representative"),
    ("注册地", "Registered in"),
    ("联系人", "Contact"),
    ("联系电话", "Contact phone"),
    ("在管小区", "Estates served"),
    ("合同类型", "Contract type"),
    ("开始日期", "Start"),
    ("结束日期", "End"),
    ("物业费", "Fee"),
    ("计费方式", "Fee model"),
    ("元/m²·月", "yuan/m²·month"),
    ("不定期", "open-ended"),
    ("履行中", "In force"),
    ("已到期", "Expired"),
    ("未生效", "Not yet in force"),
    ("合同", "Contracts"),
    ("房屋列表", "Houses"),
    ("业主列表", "Owners"),
    ("添加业主", "Add owner"),
    ("共有人", "Co-owners"),
    ("移出", "Remove"),
    ("个人", "Person"),
    ("单位", "Organisation"),
    ("名下房屋", "Houses owned"),
    ("选择文件", "Choose file"),
    ("导入类型", "Layout"),
    ("导入到小区编号", "Into estate no."),
    ("跳过错误行", "Skip bad rows"),
    ("替换业主", "Replace owners"),
    ("上传并导入", "Upload and import"),
    ("导入结果", "Import result"),
    ("行数", "Rows"),
    ("新增", "Added"),
    ("更新", "Updated"),
    ("未变", "Unchanged"),
    ("跳过", "Skipped"),
    ("错误", "Errors"),
    ("行", "Row"),
    ("列", "Column"),
    ("值", "Value"),
    ("原因", "Reason"),
    ("最近导入", "Recent imports"),
    ("时间", "Time"),
    ("文件", "File"),
    ("导入格式说明", "Import layouts"),
    ("未写入任何数据", "Nothing was written"),
    ("导入成功", "Imported"),
    ("编号", "No."),
    ("基本信息", "Basic information"),
    ("当前服务", "Current service"),
    ("名称", "Name"),
    ("页面不存在", "Page not found"),
    ("出错了", "Something went wrong"),
    ("返回首页", "Back to the dashboard"),
    ("请求有误", "Bad request"),
    ("数据冲突", "Conflict"),
    ("下钻", "Drill down"),
    ("户", "houses"),
    ("个", ""),
    ("万 m²", "10k m²"),
    ("小区列表", "Estates in this community"),
    ("服务中", "Served"),
    ("无服务", "Unserved"),
    ("筛选", "Filter"),
    ("全部状态", "Any status"),
    ("选择", "Choose"),
    ("必填", "required"),
    ("登记房屋", "Register a house"),
    ("登记企业", "Register an enterprise"),
    ("登记合同", "Register a contract"),
    ("区划代码", "Division code"),
    ("所在区域", "Region"),
    ("平方米", "m²"),
    ("所属小区", "Estate"),
    ("未登记业主", "No owner registered"),
    ("建设单位（未售）", "Developer (unsold)"),
    ("业主信息", "Owners"),
    ("户数", "Houses"),
    ("单元数", "Units"),
    ("电梯", "Elevator"),
    ("楼栋详情", "Building"),
    ("业主详情", "Owner"),
    ("房屋详情", "House"),
    ("企业详情", "Enterprise"),
    ("合同详情", "Contract"),
    ("小区详情", "Estate"),
    ("语言", "Language"),
    ("排序", "Sort"),
    ("下级", "Child level"),
    ("最近 30 天导入", "Imports"),
    ("同一房屋多人共有时，每位共有人一行。", "Co-owners of one house: one row each."),
    ("API 文档", "API document"),
    ("数据来源", "Data source"),
    ("达标线", "Target line"),
    ("低于目标", "Below target"),
    ("达到目标", "At or above target"),
    ("覆盖率（按户数）", "Coverage (by houses)"),
    ("住宅小区物业服务覆盖率", "Property-service coverage of residential estates"),
    ("API 令牌", "API tokens"),
    ("令牌名称", "Token name"),
    ("修改前", "Before"),
    ("修改后", "After"),
    ("修改密码", "Change password"),
    ("停用", "Inactive"),
    ("停用账号", "Deactivate"),
    ("切换", "Switch"),
    ("创建令牌", "Create token"),
    ("区划代码（监管、街道、职能部门），或企业、小区、业主的编号", "A division code (regulators, street offices, departments), or the enterprise, estate or owner number"),
    ("历史记录", "History"),
    ("原密码", "Current password"),
    ("吊销", "Revoke"),
    ("启用", "Active"),
    ("启用账号", "Activate"),
    ("姓名", "Name"),
    ("审计日志", "Audit trail"),
    ("密码", "Password"),
    ("密码已修改。", "Password changed."),
    ("密码错误次数", "Failed logins"),
    ("对象", "Object"),
    ("已吊销", "Revoked"),
    ("已锁定", "Locked"),
    ("我的信息", "My details"),
    ("我的房屋", "My houses"),
    ("批量导入用户", "Import users"),
    ("操作", "Action"),
    ("操作人", "By"),
    ("新令牌（只显示这一次，请妥善保存）：", "New token (shown once; keep it safe):"),
    ("新密码", "New password"),
    ("新建用户", "New user"),
    ("本次查看已记入审计日志。", "This view was written to the audit trail."),
    ("查看完整信息", "Show in full"),
    ("查看用途", "Purpose"),
    ("校验审计链", "Verify the chain"),
    ("每次查看完整个人信息都记入审计日志。", "Every full view of personal data is written to the audit trail."),
    ("添加角色", "Add role"),
    ("用户与角色", "Users and roles"),
    ("登录", "Log in"),
    ("登录名", "Login name"),
    ("移除", "Remove"),
    ("管理员已重置您的密码，请先设置新密码。", "An administrator reset your password: set a new one first."),
    ("系统管理", "Administration"),
    ("至少 10 位，包含字母、数字、符号中的至少两类", "At least 10 characters, of at least two kinds (letters, digits, symbols)"),
    ("范围", "Scope"),
    ("说明", "Note"),
    ("账号", "Account"),
    ("还没有登记在您名下的房屋。如有疑问请联系物业服务企业或社区。", "No houses are registered in your name. Ask your property company or community."),
    ("连续 5 次密码错误将锁定账号 15 分钟。忘记密码请联系管理员重置。", "Five wrong passwords in a row lock the account for 15 minutes. Forgot it? Ask an administrator to reset it."),
    ("退出", "Log out"),
    ("重置密码", "Reset password"),
    ("锁定至", "Locked until"),
    ("请检查标红的字段", "Please check the fields marked in red"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every phrase the templates pass to `t("…")` has an English entry.
    #[test]
    fn every_template_phrase_is_translated() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("c.t(\"").skip(1) {
                let phrase = &part[..part.find('"').unwrap()];
                if !EN.contains_key(phrase) {
                    missing.push(format!("{}: {phrase}", path.file_name().unwrap().to_string_lossy()));
                }
            }
        }
        assert!(missing.is_empty(), "untranslated: {missing:#?}");
    }

    #[test]
    fn falls_back_to_chinese() {
        assert_eq!(Lang::En.t("小区"), "Estates");
        assert_eq!(Lang::En.t("没有这个词"), "没有这个词");
        assert_eq!(Lang::Zh.t("小区"), "小区");
    }
}
