//! Deterministic synthetic data for the demo and tests: names, ID numbers with valid
//! check digits and real Ningxia area codes, phones, USCCs and estate names. Every value
//! is generated from a seed, so the same seed gives the same province every time.
//! Nothing here is real personal data.

use crate::ids::{id_check_char, uscc_check_char};
use chrono::NaiveDate;

/// SplitMix64: small, fast, and good enough to spread synthetic values.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    /// True with probability `num/den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

const SURNAMES: &[&str] = &[
    "马", "王", "李", "张", "杨", "刘", "丁", "田", "海", "纳", "苏", "赵", "陈", "周", "吴", "郭", "何", "罗", "金", "白",
    "高", "孙", "冯", "朱", "胡", "黄", "徐", "郑", "韩", "石", "梁", "宋", "余", "穆", "虎", "沙", "哈", "拓", "鲁", "贺",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞", "平",
    "刚", "桂", "英", "华", "玉", "兰", "萍", "红", "鹏", "辉", "宁", "海", "燕", "晨", "阳", "思", "雨", "欣", "浩", "宇",
    "梅", "建", "国", "志", "文", "斌", "凯", "琳", "婷", "瑞", "福", "春", "成", "德", "忠", "学", "荣", "莉", "倩", "悦",
];

/// A synthetic Chinese personal name of two or three characters.
pub fn person_name(r: &mut Rng) -> String {
    let mut s = String::from(*r.pick(SURNAMES));
    s.push_str(*r.pick(GIVEN));
    if r.chance(2, 3) {
        s.push_str(*r.pick(GIVEN));
    }
    s
}

/// A synthetic resident ID number with a valid GB 11643 check digit.
/// `county` is a 6-digit county code; `seq` is 0..=999 (its parity gives the sex).
pub fn id_number(county: &str, birth: NaiveDate, seq: u32) -> String {
    let body = format!("{}{}{:03}", &county[..6], birth.format("%Y%m%d"), seq % 1000);
    let c = id_check_char(&body);
    format!("{body}{c}")
}

/// A random ID number for someone born 1940–2004 in `county`.
pub fn random_id_number(r: &mut Rng, county: &str) -> String {
    let base = NaiveDate::from_ymd_opt(1940, 1, 1).expect("valid date");
    let birth = base + chrono::Duration::days(r.range(0, 64 * 365));
    id_number(county, birth, r.below(1000) as u32)
}

const MOBILE_PREFIXES: &[&str] = &["139", "138", "137", "136", "135", "158", "159", "186", "187", "188", "189", "133", "153", "180", "181", "199", "177", "150"];

/// A synthetic mainland mobile number.
pub fn phone(r: &mut Rng) -> String {
    format!("{}{:08}", *r.pick(MOBILE_PREFIXES), r.below(100_000_000))
}

const USCC_BODY: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A synthetic enterprise USCC (registration authority 9 = 工商, kind 1 = 企业) with the
/// county code embedded and a valid GB 32100 check character.
pub fn uscc(r: &mut Rng, county: &str) -> String {
    let mut body = format!("91{}", &county[..6]);
    for _ in 0..9 {
        body.push(USCC_BODY[r.below(USCC_BODY.len() as u64) as usize] as char);
    }
    let c = uscc_check_char(&body).expect("alphabet is valid");
    format!("{body}{c}")
}

const ESTATE_HEAD: &[&str] = &[
    "阅海", "宝湖", "金凤", "贺兰", "丽景", "紫园", "馨和", "锦绣", "塞上", "黄河", "凤凰", "银湖", "西湖", "兴庆", "长城",
    "民乐", "朔方", "明珠", "翠柳", "华夏", "欣和", "康居", "福宁", "润泽", "同心", "滨河", "学府", "海宝", "文萃", "怀远",
    "上前城", "北塔", "湖畔", "正源", "六盘", "沙湖", "星海", "鸣翠", "艾依", "唐徕",
];
const ESTATE_TAIL: &[&str] = &["花园", "小区", "家园", "苑", "新城", "湾", "嘉园", "公寓", "新村", "名居", "雅居", "佳苑", "华府", "丽都"];

/// A synthetic estate name such as 阅海嘉园.
pub fn estate_name(r: &mut Rng) -> String {
    format!("{}{}", *r.pick(ESTATE_HEAD), *r.pick(ESTATE_TAIL))
}

const FIRM_WORDS: &[&str] = &[
    "安居", "宁安", "嘉禾", "恒信", "塞北", "润达", "广厦", "鑫源", "和谐", "康泰", "祥瑞", "万家", "宏达", "立德", "美好", "中房", "金宇", "信达", "新华", "民生",
    "华泰", "益民", "居安", "顺达", "兴业", "众和", "锦程", "天润", "盛世", "泰和", "福源", "德信", "佳和", "金泰", "宜居", "睿达", "诚信", "同德", "博雅", "惠民",
];

/// A synthetic enterprise name such as 银川恒信物业服务有限公司.
pub fn enterprise_name(r: &mut Rng, place: &str) -> String {
    let place = place.trim_end_matches(['市', '县', '区']);
    format!("{}{}物业服务有限公司", place, *r.pick(FIRM_WORDS))
}

const TRADES: &[&str] = &["商贸", "建筑工程", "房地产开发", "餐饮管理", "投资", "农业科技", "医药", "文化传媒", "供热", "商业管理"];

/// A synthetic organisation name (an owner that is not a person), such as
/// 银川鑫源商贸有限公司.
pub fn organisation_name(r: &mut Rng, place: &str) -> String {
    let place = place.trim_end_matches(['市', '县', '区']);
    format!("{}{}{}有限公司", place, *r.pick(FIRM_WORDS), *r.pick(TRADES))
}

const ROADS: &[&str] = &[
    "北京路", "解放街", "文化街", "黄河路", "凤凰街", "贺兰山路", "正源街", "宝湖路", "长城路", "民族街", "新华街", "上海路", "亲水大街",
    "友爱街", "育才路", "建设路", "团结路", "胜利街", "朔方路", "清河街", "利民街", "文昌路", "中山街", "人民路",
];

/// A synthetic street address in `place`, such as 兴庆区北京路128号.
pub fn street_address(r: &mut Rng, place: &str) -> String {
    format!("{}{}{}号", place, *r.pick(ROADS), r.range(1, 399))
}

/// The telephone area code of a Ningxia city (`6401` 银川 → `0951` … `6405` 中卫 → `0955`).
pub fn area_code(city_prefix: &str) -> &'static str {
    match city_prefix.get(..4) {
        Some("6402") => "0952",
        Some("6403") => "0953",
        Some("6404") => "0954",
        Some("6405") => "0955",
        _ => "0951",
    }
}

/// A synthetic landline number with the area code of `city_prefix`, e.g. 0951-5012345.
pub fn landline(r: &mut Rng, city_prefix: &str) -> String {
    format!("{}-{}", area_code(city_prefix), r.range(2_000_000, 8_999_999))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{validate_id_number, validate_uscc};

    #[test]
    fn generated_identifiers_validate() {
        let mut r = Rng::new(7);
        for _ in 0..1000 {
            let id = random_id_number(&mut r, "640104");
            assert!(validate_id_number(&id).is_ok(), "{id}");
            assert!(id.starts_with("640104"));
            let u = uscc(&mut r, "640104");
            assert!(validate_uscc(&u).is_ok(), "{u}");
            assert!(crate::ids::validate_phone(&phone(&mut r)).is_ok());
        }
    }

    #[test]
    fn names_and_addresses() {
        let mut r = Rng::new(3);
        for _ in 0..200 {
            let o = organisation_name(&mut r, "银川市");
            assert!(o.starts_with("银川") && o.ends_with("有限公司"), "{o}");
            let a = street_address(&mut r, "兴庆区");
            assert!(a.starts_with("兴庆区") && a.ends_with('号'), "{a}");
            let l = landline(&mut r, "640302");
            assert!(l.starts_with("0953-"), "{l}");
            assert!(crate::ids::validate_phone(&l).is_ok(), "{l}");
        }
    }

    #[test]
    fn deterministic() {
        let a: Vec<String> = (0..5).map({ let mut r = Rng::new(1); move |_| person_name(&mut r) }).collect();
        let b: Vec<String> = (0..5).map({ let mut r = Rng::new(1); move |_| person_name(&mut r) }).collect();
        assert_eq!(a, b);
    }
}
