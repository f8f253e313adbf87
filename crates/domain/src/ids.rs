//! Identifiers that come from outside and must be validated at the boundary:
//! resident ID numbers (GB 11643-1999), unified social credit codes (GB 32100-2015) and
//! phone numbers.

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("身份证号应为 18 位（前 17 位数字，末位数字或 X），实为 {0} 位")]
    IdLength(usize),
    #[error("身份证号含非法字符")]
    IdChars,
    #[error("身份证号出生日期 {0} 不存在")]
    IdBirthDate(String),
    #[error("身份证号校验位应为 {expected}，实为 {actual}（GB 11643）")]
    IdCheckDigit { expected: char, actual: char },
    #[error("统一社会信用代码应为 18 位，实为 {0} 位")]
    UsccLength(usize),
    #[error("统一社会信用代码含非法字符 {0:?}（不使用 I、O、Z、S、V）")]
    UsccChars(char),
    #[error("统一社会信用代码校验位应为 {expected}，实为 {actual}（GB 32100）")]
    UsccCheckDigit { expected: char, actual: char },
    #[error("手机号应为 11 位以 1 开头的数字，固定电话应为区号-号码（如 0951-1234567）")]
    Phone,
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The GB 11643 check character for the first 17 digits of an ID number.
/// `body` must be exactly 17 ASCII digits (callers validate first).
pub fn id_check_char(body: &str) -> char {
    let sum: u32 = body.bytes().zip(ID_WEIGHTS).map(|(b, w)| (b - b'0') as u32 * w).sum();
    ID_CHECK[(sum % 11) as usize] as char
}

/// Validates an 18-digit resident ID number (居民身份证号码, GB 11643-1999): 17 digits, a
/// real birth date in digits 7–14, and the check character (lower-case `x` accepted).
/// Returns the normalised number (upper-case `X`).
pub fn validate_id_number(s: &str) -> Result<String, IdError> {
    let s = s.trim().to_ascii_uppercase();
    let n = s.chars().count();
    if n != 18 {
        return Err(IdError::IdLength(n));
    }
    let (body, last) = s.split_at(17);
    if !body.bytes().all(|b| b.is_ascii_digit()) || !(last == "X" || last.as_bytes()[0].is_ascii_digit()) {
        return Err(IdError::IdChars);
    }
    let birth = &body[6..14];
    let ok_date = NaiveDate::parse_from_str(birth, "%Y%m%d").ok().filter(|d| d.format("%Y").to_string().as_str() >= "1880");
    if ok_date.is_none() {
        return Err(IdError::IdBirthDate(birth.to_string()));
    }
    let expected = id_check_char(body);
    let actual = last.chars().next().unwrap_or('?');
    if expected != actual {
        return Err(IdError::IdCheckDigit { expected, actual });
    }
    Ok(s)
}

const USCC_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn uscc_value(c: char) -> Option<u32> {
    USCC_CHARS.find(c).map(|i| i as u32)
}

/// The GB 32100 check character for the first 17 characters of a USCC.
/// Returns `None` when a character is outside the code's alphabet.
pub fn uscc_check_char(body: &str) -> Option<char> {
    let mut sum = 0;
    for (c, w) in body.chars().zip(USCC_WEIGHTS) {
        sum += uscc_value(c)? * w;
    }
    let v = (31 - sum % 31) % 31;
    USCC_CHARS.chars().nth(v as usize)
}

/// Validates an 18-character unified social credit code (统一社会信用代码, GB 32100-2015):
/// its alphabet (digits and upper-case letters except I, O, Z, S, V) and check character.
/// Returns the normalised code (upper case).
pub fn validate_uscc(s: &str) -> Result<String, IdError> {
    let s = s.trim().to_ascii_uppercase();
    let n = s.chars().count();
    if n != 18 {
        return Err(IdError::UsccLength(n));
    }
    if let Some(bad) = s.chars().find(|c| uscc_value(*c).is_none()) {
        return Err(IdError::UsccChars(bad));
    }
    let body: String = s.chars().take(17).collect();
    let expected = uscc_check_char(&body).ok_or(IdError::UsccChars('?'))?;
    let actual = s.chars().nth(17).unwrap_or('?');
    if expected != actual {
        return Err(IdError::UsccCheckDigit { expected, actual });
    }
    Ok(s)
}

/// Validates and normalises a phone number: a mainland mobile number (11 digits starting
/// with 1, an optional `+86`/`86` prefix and spaces or dashes are removed) or a landline
/// with area code (`0951-1234567`, kept with its dash).
pub fn validate_phone(s: &str) -> Result<String, IdError> {
    let t: String = s.trim().chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.strip_prefix("+86").or_else(|| t.strip_prefix("86").filter(|r| r.len() == 11)).unwrap_or(&t).to_string();
    let digits: String = t.chars().filter(|c| *c != '-').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::Phone);
    }
    if digits.len() == 11 && digits.starts_with('1') && (b'3'..=b'9').contains(&digits.as_bytes()[1]) {
        return Ok(digits);
    }
    if let Some((area, num)) = t.split_once('-') {
        let area_ok = area.starts_with('0') && (3..=4).contains(&area.len()) && area.bytes().all(|b| b.is_ascii_digit());
        let num_ok = (7..=8).contains(&num.len()) && num.bytes().all(|b| b.is_ascii_digit());
        if area_ok && num_ok {
            return Ok(format!("{area}-{num}"));
        }
    }
    Err(IdError::Phone)
}

/// Masks an ID number for display: first 6 and last 4 kept (`640104********1234`).
pub fn mask_id_number(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    if c.len() <= 10 {
        return "*".repeat(c.len());
    }
    let mid = c.len() - 10;
    format!("{}{}{}", c[..6].iter().collect::<String>(), "*".repeat(mid), c[c.len() - 4..].iter().collect::<String>())
}

/// Masks a phone number for display: mobile `139****5678`; a landline keeps its area code
/// and last 2 digits.
pub fn mask_phone(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    if c.len() == 11 && !s.contains('-') {
        return format!("{}****{}", c[..3].iter().collect::<String>(), c[7..].iter().collect::<String>());
    }
    if let Some((area, num)) = s.split_once('-') {
        let n: Vec<char> = num.chars().collect();
        let keep = n.len().saturating_sub(2);
        return format!("{area}-{}{}", "*".repeat(keep), n[keep..].iter().collect::<String>());
    }
    "*".repeat(c.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_number_check_digit() {
        // GB 11643-1999 Annex worked example: 11010519491231002X
        assert_eq!(validate_id_number("11010519491231002x").unwrap(), "11010519491231002X");
        // Worked by hand: weighted sum 196, 196 mod 11 = 9 → '3'.
        assert_eq!(id_check_char("44052419800101001"), '3');
        assert_eq!(
            validate_id_number("110105194912310021"),
            Err(IdError::IdCheckDigit { expected: 'X', actual: '1' })
        );
        // The HC template placeholder fails the check digit.
        assert!(matches!(validate_id_number("111111111111111111"), Err(IdError::IdBirthDate(_))));
        assert_eq!(validate_id_number("6401041990"), Err(IdError::IdLength(10)));
        assert!(matches!(validate_id_number("640104199002301234"), Err(IdError::IdBirthDate(_))));
    }

    #[test]
    fn uscc_check_digit() {
        // A published code: 91350100M000100Y43 (example in GB 32100 commentary).
        assert_eq!(validate_uscc("91350100M000100Y43").unwrap(), "91350100M000100Y43");
        assert_eq!(uscc_check_char("91350100M000100Y4"), Some('3'));
        assert!(matches!(validate_uscc("91350100M000100Y44"), Err(IdError::UsccCheckDigit { .. })));
        assert_eq!(validate_uscc("91350100M000100YI3"), Err(IdError::UsccChars('I')));
        assert_eq!(validate_uscc("9135"), Err(IdError::UsccLength(4)));
    }

    #[test]
    fn phones() {
        assert_eq!(validate_phone("139 5123 4567").unwrap(), "13951234567");
        assert_eq!(validate_phone("+8613951234567").unwrap(), "13951234567");
        assert_eq!(validate_phone("0951-5012345").unwrap(), "0951-5012345");
        assert!(validate_phone("12345").is_err());
        assert!(validate_phone("1205123456a").is_err());
        assert!(validate_phone("12051234567").is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id_number("640104199001011234"), "640104********1234");
        assert_eq!(mask_phone("13951235678"), "139****5678");
        assert_eq!(mask_phone("0951-5012345"), "0951-*****45");
    }
}
