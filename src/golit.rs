//! Go string literals, decoded unit by unit so that a piece of a literal's VALUE can be written back
//! with the user's own spelling (escapes, raw vs interpreted) instead of being re-quoted.

/// One source unit of a literal (a character or an escape) and the bytes it denotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Source text of the unit (`a`, `\n`, `\x25`, `é`).
    pub src: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub raw: bool,
    pub units: Vec<Unit>,
}

impl Literal {
    pub fn value(&self) -> Vec<u8> {
        self.units.iter().flat_map(|u| u.bytes.iter().copied()).collect()
    }

    /// A literal of the same style holding `units` (a contiguous piece of this literal).
    pub fn requote(&self, units: &[Unit]) -> String {
        let body: String = units.iter().map(|u| u.src.as_str()).collect();
        if self.raw {
            format!("`{body}`")
        } else {
            format!("\"{body}\"")
        }
    }
}

/// Decode a Go string literal (`"..."` or `` `...` ``). `None` if it is not one or is malformed.
pub fn decode(lit: &str) -> Option<Literal> {
    if lit.len() >= 2 && lit.starts_with('`') && lit.ends_with('`') {
        let body = &lit[1..lit.len() - 1];
        // Carriage returns inside raw literals are discarded from the value (Go spec).
        let units = body
            .chars()
            .map(|c| Unit { src: c.to_string(), bytes: if c == '\r' { vec![] } else { c.to_string().into_bytes() } })
            .collect();
        return Some(Literal { raw: true, units });
    }
    if !(lit.len() >= 2 && lit.starts_with('"') && lit.ends_with('"')) {
        return None;
    }
    let body = &lit[1..lit.len() - 1];
    let mut units = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            if c == '"' || c == '\n' {
                return None;
            }
            units.push(Unit { src: c.to_string(), bytes: c.to_string().into_bytes() });
            continue;
        }
        let (_, e) = chars.next()?;
        let simple = match e {
            'a' => Some(7u8),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            '\\' => Some(b'\\'),
            '"' => Some(b'"'),
            _ => None,
        };
        if let Some(b) = simple {
            units.push(Unit { src: body[i..i + 2].to_string(), bytes: vec![b] });
            continue;
        }
        let (len, radix) = match e {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => (2, 8),
            _ => return None,
        };
        let start_digits = if radix == 8 { i + 1 } else { i + 2 };
        let end = start_digits + if radix == 8 { 3 } else { len };
        let digits = body.get(start_digits..end)?;
        let v = u32::from_str_radix(digits, radix).ok()?;
        for _ in 0..len {
            chars.next();
        }
        let bytes = match e {
            'x' | '0'..='7' => {
                if v > 255 {
                    return None;
                }
                vec![v as u8]
            }
            _ => char::from_u32(v)?.to_string().into_bytes(),
        };
        units.push(Unit { src: body[i..end].to_string(), bytes });
    }
    Some(Literal { raw: false, units })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes() {
        let l = decode(r#""a\n\x25d\u00e9\101\"é""#).unwrap();
        assert_eq!(l.value(), "a\n%déA\"é".as_bytes());
        assert_eq!(l.units[2].src, r"\x25");
        assert_eq!(l.requote(&l.units[0..2]), r#""a\n""#);
    }

    #[test]
    fn raw_strings_drop_cr() {
        let l = decode("`a\r\nb%d`").unwrap();
        assert!(l.raw);
        assert_eq!(l.value(), b"a\nb%d");
        assert_eq!(l.requote(&l.units[..1]), "`a`");
    }

    #[test]
    fn rejects_malformed() {
        assert!(decode("\"abc").is_none());
        assert!(decode(r#""\q""#).is_none());
        assert!(decode(r#""\x4""#).is_none());
        assert!(decode("'a'").is_none());
    }
}
