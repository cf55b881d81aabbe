//! Lists of UTC intervals: the common windows of several customers are the intersections of
//! one window of each, and a window inside another of the same list is dropped as dominated.

use super::Interval;

/// Every non-empty intersection of one interval of `a` with one of `b`, normalised.
pub(crate) fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut from = 0;
    for x in a {
        // Both lists are sorted by start and by end (see `normalise`), so the intervals of `b`
        // ending before `x` starts end before every later `x` too.
        while from < b.len() && b[from].end <= x.start {
            from += 1;
        }
        for y in &b[from..] {
            if y.start >= x.end {
                break;
            }
            let i = Interval {
                start: x.start.max(y.start),
                end: x.end.min(y.end),
            };
            if i.end > i.start {
                out.push(i);
            }
        }
    }
    normalise(out)
}

/// Sorts by start, drops duplicates and intervals inside another: whatever fits in such an
/// interval fits in the one holding it. The result is sorted by start and by end alike.
pub(crate) fn normalise(mut list: Vec<Interval>) -> Vec<Interval> {
    // Longest first among equal starts, so that the ones inside it come after it.
    list.sort_unstable_by_key(|i| (i.start, std::cmp::Reverse(i.end)));
    let mut out: Vec<Interval> = Vec::with_capacity(list.len());
    for i in list {
        match out.last() {
            Some(last) if i.end <= last.end => {}
            _ => out.push(i),
        }
    }
    out
}

/// Whether `i` lies inside one interval of the normalised `list`.
pub(crate) fn covered(list: &[Interval], i: Interval) -> bool {
    // In a normalised list the last interval starting at or before `i` reaches furthest.
    let n = list.partition_point(|x| x.start <= i.start);
    n > 0 && list[n - 1].end >= i.end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(start: i64, end: i64) -> Interval {
        Interval { start, end }
    }

    #[test]
    fn intersection_keeps_only_the_overlaps() {
        let a = normalise(vec![iv(0, 10), iv(20, 30), iv(40, 50)]);
        let b = normalise(vec![iv(5, 25), iv(29, 41), iv(60, 70)]);
        assert_eq!(
            intersect(&a, &b),
            vec![iv(5, 10), iv(20, 25), iv(29, 30), iv(40, 41)]
        );
        assert_eq!(intersect(&a, &[]), vec![]);
        // Touching is not overlapping.
        assert_eq!(intersect(&[iv(0, 10)], &[iv(10, 20)]), vec![]);
    }

    #[test]
    fn normalising_drops_intervals_inside_others() {
        let list = normalise(vec![iv(5, 8), iv(0, 10), iv(0, 4), iv(9, 12), iv(9, 12)]);
        assert_eq!(list, vec![iv(0, 10), iv(9, 12)]);
        assert!(covered(&list, iv(1, 10)));
        assert!(covered(&list, iv(9, 12)));
        assert!(!covered(&list, iv(8, 11)));
        assert!(!covered(&list, iv(-1, 2)));
    }
}
