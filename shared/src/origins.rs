//! Which pages may embed the widget: the owner lists origins, with `*.` for any subdomain.

/// Whether a page at `origin` (`scheme://host[:port]`, as browsers send it) may use the
/// widget. An empty list allows every origin.
pub fn allowed(patterns: &[String], origin: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| matches(p, origin))
}

fn matches(pattern: &str, origin: &str) -> bool {
    let (pattern, origin) = (pattern.trim_end_matches('/'), origin.trim_end_matches('/'));
    if pattern.eq_ignore_ascii_case(origin) {
        return true;
    }
    let (Some((p_scheme, p_host)), Some((o_scheme, o_host))) =
        (pattern.split_once("://"), origin.split_once("://"))
    else {
        return false;
    };
    let Some(parent) = p_host.strip_prefix("*.") else { return false };
    let (o_host, parent) = (o_host.to_ascii_lowercase(), parent.to_ascii_lowercase());
    p_scheme.eq_ignore_ascii_case(o_scheme)
        && o_host.len() > parent.len() + 1
        && o_host.ends_with(&parent)
        && o_host.as_bytes()[o_host.len() - parent.len() - 1] == b'.'
}

/// Checks one entry as the settings API receives it.
pub fn validate(pattern: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "\"{pattern}\" is not an origin: write it as https://shop.example, \
             http://localhost:8080 or https://*.example.com, without a path."
        )
    };
    let (scheme, host) = pattern.trim_end_matches('/').split_once("://").ok_or_else(bad)?;
    let host = host.strip_prefix("*.").unwrap_or(host);
    let host_ok = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        && !host.contains('*');
    if !matches!(scheme, "http" | "https") || !host_ok {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn exact_and_subdomain_patterns() {
        let l = list(&["https://shop.example", "https://*.example.com", "http://localhost:8080/"]);
        assert!(allowed(&l, "https://shop.example"));
        assert!(allowed(&l, "https://SHOP.example"));
        assert!(allowed(&l, "https://a.b.example.com"));
        assert!(allowed(&l, "http://localhost:8080"));
        assert!(!allowed(&l, "https://example.com"), "the parent itself is not a subdomain");
        assert!(!allowed(&l, "https://badexample.com"));
        assert!(!allowed(&l, "http://a.example.com"), "the scheme must match");
        assert!(!allowed(&l, "http://localhost:8081"));
        assert!(!allowed(&l, "null"));
        assert!(allowed(&[], "https://anything.example"));
    }

    #[test]
    fn entries_must_be_origins() {
        assert!(validate("https://shop.example").is_ok());
        assert!(validate("https://*.example.com").is_ok());
        assert!(validate("http://[::1]:8787").is_ok());
        for bad in [
            "shop.example",
            "ftp://x.example",
            "https://x.example/path",
            "https://*",
            "https://a*.b",
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }
}
