//! Where a scan's time goes: the wall time of each stage, summed over documents.

use std::time::{Duration, Instant};

/// The time a scan spent in each of its stages (see the crate documentation for what each
/// does), filled by [`crate::Matcher::scan_timed`] and summed over the documents it is passed
/// with. For profiling and benchmarks: it tells which content is expensive and why, without a
/// profiler. It holds durations only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageTimes {
    /// Binary sniffing, charset detection and decoding to UTF-8.
    pub decode: Duration,
    /// Text extraction: HTML's visible text, e-mail's decoded text, an archive's files.
    pub html: Duration,
    /// Folding the text character by character.
    pub fold: Duration,
    /// Pass 1: digit groups, e-mail addresses and register tokens, looked up in the bundle.
    pub candidates: Duration,
    /// Pass 2: the multi-token walk over the token trie.
    pub walk: Duration,
    /// Pass 3: corroboration, scoring and building the findings.
    pub corroborate: Duration,
}

impl StageTimes {
    /// Each stage with its name, in pipeline order: the names `scan --stats` and the
    /// pipeline's `leakwatch_matcher_stage_seconds{stage}` use.
    pub fn stages(&self) -> [(&'static str, Duration); 6] {
        [
            ("decode", self.decode),
            ("html", self.html),
            ("fold", self.fold),
            ("candidates", self.candidates),
            ("walk", self.walk),
            ("corroborate", self.corroborate),
        ]
    }

    /// The sum of all stages.
    pub fn total(&self) -> Duration {
        self.decode + self.html + self.fold + self.candidates + self.walk + self.corroborate
    }
}

impl std::ops::AddAssign for StageTimes {
    fn add_assign(&mut self, o: StageTimes) {
        self.decode += o.decode;
        self.html += o.html;
        self.fold += o.fold;
        self.candidates += o.candidates;
        self.walk += o.walk;
        self.corroborate += o.corroborate;
    }
}

/// Charges the time since the last lap to a stage, when a scan is timed at all (an untimed
/// clock reads no time).
pub(crate) struct Clock<'t>(Option<(&'t mut StageTimes, Instant)>);

impl<'t> Clock<'t> {
    /// Starts the clock (a no-op clock when `times` is `None`).
    pub(crate) fn start(times: Option<&'t mut StageTimes>) -> Self {
        Clock(times.map(|t| (t, Instant::now())))
    }

    /// Adds the time since the last lap to the stage `stage` picks.
    #[inline]
    pub(crate) fn lap(&mut self, stage: fn(&mut StageTimes) -> &mut Duration) {
        if let Some((t, last)) = &mut self.0 {
            let now = Instant::now();
            *stage(t) += now - *last;
            *last = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_add_up_and_an_untimed_clock_does_nothing() {
        let mut t = StageTimes::default();
        let mut c = Clock::start(Some(&mut t));
        std::thread::sleep(Duration::from_millis(2));
        c.lap(|t| &mut t.fold);
        c.lap(|t| &mut t.walk);
        assert!(t.fold >= Duration::from_millis(2));
        assert_eq!(t.total(), t.fold + t.walk);
        assert_eq!(
            t.stages().map(|(_, d)| d).iter().sum::<Duration>(),
            t.total()
        );
        let mut sum = t;
        sum += t;
        assert_eq!(sum.total(), t.total() * 2);
        let mut off = Clock::start(None);
        off.lap(|t| &mut t.fold);
    }
}
