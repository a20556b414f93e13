//! Which content coding a request accepts (`Accept-Encoding`, RFC 9110 §12.5.3): how the edge
//! picks the precompressed copy of a widget file to send.

/// Whether `header` accepts `coding`: named, or matched by `*`, with a weight above zero. A
/// coding named explicitly wins over `*` (so `*, br;q=0` refuses brotli).
pub fn accepts(header: &str, coding: &str) -> bool {
    let mut wildcard = None;
    for part in header.split(',') {
        let mut fields = part.split(';');
        let name = fields.next().unwrap_or("").trim();
        let weight = fields
            .filter_map(|f| f.trim().strip_prefix("q=").or_else(|| f.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            return weight > 0.0;
        }
        if name == "*" {
            wildcard = Some(weight > 0.0);
        }
    }
    wildcard.unwrap_or(false)
}

/// The best coding of `offered` (most preferred first) the request accepts; `None`: send it
/// as it is.
pub fn best<'a>(header: Option<&str>, offered: &[&'a str]) -> Option<&'a str> {
    let header = header?;
    offered.iter().copied().find(|c| accepts(header, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_first_offered_coding_accepted() {
        let offered = ["br", "gzip"];
        assert_eq!(best(Some("gzip, deflate, br, zstd"), &offered), Some("br"));
        assert_eq!(best(Some("gzip, deflate"), &offered), Some("gzip"));
        assert_eq!(best(Some("br;q=0, gzip;q=0.5"), &offered), Some("gzip"));
        assert_eq!(best(Some("BR"), &offered), Some("br"));
        assert_eq!(best(Some("*"), &offered), Some("br"));
        assert_eq!(best(Some("*, br;q=0"), &offered), Some("gzip"));
        assert_eq!(best(Some("identity"), &offered), None);
        assert_eq!(best(Some(""), &offered), None);
        assert_eq!(best(None, &offered), None);
        assert_eq!(best(Some("gzip;q=0, br;q=0.0"), &offered), None);
        assert_eq!(best(Some("gzip; q=garbage"), &offered), Some("gzip"));
    }
}
