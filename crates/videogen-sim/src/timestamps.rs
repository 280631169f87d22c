//! RFC 3339 timestamps (the specs' `format: date-time`), to and from Unix seconds, UTC, with
//! chrono.

/// `2026-04-02T00:41:48Z` for Unix seconds (the epoch for a time chrono cannot hold).
pub(crate) fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Unix seconds of an RFC 3339 time (`2026-12-06T10:00:00Z`, any offset; fractions dropped);
/// `None` for anything else.
pub(crate) fn unix_of(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_775_090_508), "2026-04-02T00:41:48Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn rfc3339_round_trips() {
        for unix in [0, 1_614_265_330, 1_796_000_000] {
            assert_eq!(unix_of(&rfc3339(unix)), Some(unix));
        }
    }
}
