//! `Retry-After` and exponential backoff with jitter.

use std::time::{Duration, SystemTime};

/// Parses `Retry-After` (delta-seconds or an HTTP date) relative to `now`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Delay before retry number `attempt` (1-based): `base * 2^(attempt-1)` with ±50% jitter,
/// at most `max`; at least `retry_after` if the server said so (also capped at `max`).
pub(crate) fn backoff(
    attempt: u32,
    base: Duration,
    max: Duration,
    retry_after: Option<Duration>,
) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let jitter = 0.5 + fastrand::f64();
    let delay = exp.mul_f64(jitter).min(max);
    match retry_after {
        Some(ra) => delay.max(ra.min(max)),
        None => delay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_honours_retry_after() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(10);
        for _ in 0..50 {
            let d1 = backoff(1, base, max, None);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(150));
            let d3 = backoff(3, base, max, None);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(600));
            assert_eq!(
                backoff(30, base, max, None),
                max.min(backoff(30, base, max, None))
            );
            assert!(backoff(1, base, max, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
            assert_eq!(backoff(1, base, max, Some(Duration::from_secs(99))), max);
        }
    }
}
