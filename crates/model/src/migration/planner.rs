//! The greedy planner. Customers are taken by total downtime, largest first; all of a
//! customer's VMs not yet placed go into the earliest common interval where they fit together
//! (packed longest first onto the lanes, each at its earliest free start), preferring a wave
//! that already holds some of its VMs; when no interval takes them all, they are split, each
//! step choosing the interval that takes the most of them. VMs without customers come last.

use std::rc::Rc;

use hashbrown::HashMap;

use super::intervals::{covered, intersect, normalise};
use super::lanes::{Lanes, Slot};
use super::{
    show_duration, Interval, Placed, Plan, Request, Shortfall, Unplaceable, Wave, HORIZON_DAYS,
};

/// The planner's state while it places VMs.
pub(crate) struct Planner<'r> {
    request: &'r Request,
    /// Seconds each VM is down.
    durations: Vec<i64>,
    lanes: Lanes,
    /// Expanded windows: list 0 is the default, list `1 + c` customer `c`'s own.
    lists: Vec<Rc<[Interval]>>,
    /// Per customer, which list holds its windows.
    list_of: Vec<usize>,
    /// Common intervals of a sorted set of lists.
    common: HashMap<Vec<usize>, Rc<[Interval]>>,
    /// Per VM, the sorted lists whose common intervals it may use.
    keys: Vec<Vec<usize>>,
    wave_of: HashMap<Interval, usize>,
    waves: Vec<(Interval, Vec<Placed>)>,
    /// Per customer, the waves holding any of its VMs, in the order they got one.
    customer_waves: Vec<Vec<usize>>,
    placed: Vec<bool>,
}

impl<'r> Planner<'r> {
    pub(crate) fn new(request: &'r Request) -> Planner<'r> {
        let expand = |windows: &[super::Window]| -> Rc<[Interval]> {
            let mut out = Vec::new();
            for w in windows {
                w.expand(&request.zone, request.from, HORIZON_DAYS, &mut out);
            }
            normalise(out).into()
        };
        let mut lists = vec![expand(&request.default_windows)];
        let list_of = request
            .customers
            .iter()
            .map(|c| match &c.windows {
                Some(w) => {
                    lists.push(expand(w));
                    lists.len() - 1
                }
                None => 0,
            })
            .collect();
        let mut planner = Planner {
            request,
            durations: request
                .vms
                .iter()
                .map(|vm| i64::try_from(request.downtime(vm)).unwrap_or(i64::MAX))
                .collect(),
            lanes: Lanes::new(request.streams),
            lists,
            list_of,
            common: HashMap::new(),
            keys: Vec::new(),
            wave_of: HashMap::new(),
            waves: Vec::new(),
            customer_waves: vec![Vec::new(); request.customers.len()],
            placed: vec![false; request.vms.len()],
        };
        planner.keys = request
            .vms
            .iter()
            .map(|vm| planner.key(vm.customers.iter().copied()))
            .collect();
        planner
    }

    fn key(&self, customers: impl Iterator<Item = usize>) -> Vec<usize> {
        let mut key: Vec<usize> = customers.map(|c| self.list_of[c]).collect();
        if key.is_empty() {
            key.push(0);
        }
        key.sort_unstable();
        key.dedup();
        key
    }

    /// The intervals inside one window of every list of `key`.
    fn common(&mut self, key: &[usize]) -> Rc<[Interval]> {
        if let Some(list) = self.common.get(key) {
            return Rc::clone(list);
        }
        let mut list: Vec<Interval> = self.lists[key[0]].to_vec();
        for &k in &key[1..] {
            list = intersect(&list, &self.lists[k]);
        }
        let list: Rc<[Interval]> = list.into();
        self.common.insert(key.to_vec(), Rc::clone(&list));
        list
    }

    pub(crate) fn run(mut self) -> Plan {
        let request = self.request;
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); request.customers.len()];
        let mut total = vec![0i64; request.customers.len()];
        let mut nobody = Vec::new();
        for (v, vm) in request.vms.iter().enumerate() {
            for &c in &vm.customers {
                members[c].push(v);
                total[c] = total[c].saturating_add(self.durations[v]);
            }
            if vm.customers.is_empty() {
                nobody.push(v);
            }
        }
        let mut order: Vec<usize> = (0..request.customers.len()).collect();
        order.sort_by(|&a, &b| {
            total[b]
                .cmp(&total[a])
                .then_with(|| request.customers[a].id.cmp(&request.customers[b].id))
        });
        for c in order {
            let group: Vec<usize> = members[c]
                .iter()
                .copied()
                .filter(|&v| !self.placed[v])
                .collect();
            if !group.is_empty() {
                self.place_group(Some(c), group);
            }
        }
        self.longest_first(&mut nobody);
        for v in nobody {
            self.place_group(None, vec![v]);
        }
        self.finish()
    }

    fn longest_first(&self, vms: &mut [usize]) {
        vms.sort_by(|&a, &b| {
            self.durations[b]
                .cmp(&self.durations[a])
                .then_with(|| self.request.vms[a].id.cmp(&self.request.vms[b].id))
        });
    }

    /// Places `group` (VMs of customer `customer`, or one VM of nobody's) as described above.
    fn place_group(&mut self, customer: Option<usize>, mut group: Vec<usize>) {
        self.longest_first(&mut group);
        let mut union: Vec<usize> = group
            .iter()
            .flat_map(|&v| self.keys[v].iter().copied())
            .collect();
        union.sort_unstable();
        union.dedup();
        let common = self.common(&union);
        let own_waves: Vec<Interval> = customer
            .map(|c| {
                let mut w: Vec<Interval> = self.customer_waves[c]
                    .iter()
                    .map(|&w| self.waves[w].0)
                    .collect();
                w.sort_unstable();
                w
            })
            .unwrap_or_default();
        let together = own_waves
            .iter()
            .copied()
            .filter(|&i| covered(&common, i))
            .chain(common.iter().copied())
            .find_map(|i| self.fit_all(i, &group).map(|slots| (i, slots)));
        if let Some((interval, slots)) = together {
            self.commit(interval, &slots);
            return;
        }
        // Split: first into the customer's waves, which interrupt it no further.
        let mut left = group;
        for &i in &own_waves {
            let eligible = self.eligible(&left, i);
            let slots = self.fit_some(i, &eligible);
            self.commit(i, &slots);
            left.retain(|&v| !self.placed[v]);
        }
        while !left.is_empty() {
            let mut candidates: Vec<Interval> = Vec::new();
            let mut keys: Vec<Vec<usize>> = left.iter().map(|&v| self.keys[v].clone()).collect();
            keys.sort_unstable();
            keys.dedup();
            for key in &keys {
                candidates.extend(self.common(key).iter().copied());
            }
            candidates.sort_unstable();
            candidates.dedup();
            let mut best: Option<(usize, Interval)> = None;
            for i in candidates {
                let eligible = self.eligible(&left, i);
                if eligible.len() <= best.map_or(0, |(n, _)| n) {
                    continue;
                }
                let n = self.fit_some(i, &eligible).len();
                if n > best.map_or(0, |(n, _)| n) {
                    best = Some((n, i));
                    if n == left.len() {
                        break;
                    }
                }
            }
            let Some((_, i)) = best else {
                break;
            };
            let eligible = self.eligible(&left, i);
            let slots = self.fit_some(i, &eligible);
            self.commit(i, &slots);
            left.retain(|&v| !self.placed[v]);
        }
    }

    /// The VMs of `vms` whose every customer has a window holding `interval`.
    fn eligible(&mut self, vms: &[usize], interval: Interval) -> Vec<usize> {
        let mut out = Vec::new();
        for &v in vms {
            let key = self.keys[v].clone();
            let length = interval.end - interval.start;
            if self.durations[v] <= length && covered(&self.common(&key), interval) {
                out.push(v);
            }
        }
        out
    }

    /// Slots for every VM of `vms` (longest first) in `interval`, or `None`.
    fn fit_all(&self, interval: Interval, vms: &[usize]) -> Option<Vec<(usize, Slot)>> {
        let longest = vms.iter().map(|&v| self.durations[v]).max().unwrap_or(0);
        if longest > interval.end - interval.start {
            return None;
        }
        let mut gaps = self.lanes.gaps(interval);
        let sum: i64 = vms.iter().map(|&v| self.durations[v]).sum();
        if gaps.longest() < longest || gaps.total() < sum {
            return None;
        }
        vms.iter()
            .map(|&v| gaps.take(self.durations[v]).map(|s| (v, s)))
            .collect()
    }

    /// Slots for as many VMs of `vms` (longest first) as fit in `interval`.
    fn fit_some(&self, interval: Interval, vms: &[usize]) -> Vec<(usize, Slot)> {
        let mut gaps = self.lanes.gaps(interval);
        vms.iter()
            .filter_map(|&v| gaps.take(self.durations[v]).map(|s| (v, s)))
            .collect()
    }

    fn commit(&mut self, interval: Interval, slots: &[(usize, Slot)]) {
        if slots.is_empty() {
            return;
        }
        let next = self.waves.len();
        let wave = *self.wave_of.entry(interval).or_insert(next);
        if wave == next {
            self.waves.push((interval, Vec::new()));
        }
        for &(v, slot) in slots {
            let length = self.durations[v];
            self.lanes.occupy(slot, length);
            self.placed[v] = true;
            self.waves[wave].1.push(Placed {
                vm: v,
                start: slot.start,
                end: slot.start + length,
            });
            for &c in &self.request.vms[v].customers {
                if !self.customer_waves[c].contains(&wave) {
                    self.customer_waves[c].push(wave);
                }
            }
        }
    }

    fn finish(mut self) -> Plan {
        let request = self.request;
        let mut waves: Vec<Wave> = std::mem::take(&mut self.waves)
            .into_iter()
            .map(|(_, mut vms)| {
                vms.sort_by(|a, b| {
                    (a.start, &request.vms[a.vm].id).cmp(&(b.start, &request.vms[b.vm].id))
                });
                Wave {
                    start: vms.iter().map(|p| p.start).min().unwrap_or(0),
                    end: vms.iter().map(|p| p.end).max().unwrap_or(0),
                    vms,
                }
            })
            .collect();
        waves.sort_by_key(|w| (w.start, w.end));
        let left: Vec<usize> = (0..request.vms.len())
            .filter(|&v| !self.placed[v])
            .collect();
        let mut unplaceable: Vec<Unplaceable> = left
            .into_iter()
            .map(|v| {
                let (shortfall, reason) = self.reason(v);
                Unplaceable {
                    vm: v,
                    shortfall,
                    reason,
                }
            })
            .collect();
        unplaceable.sort_by(|a, b| request.vms[a.vm].id.cmp(&request.vms[b.vm].id));
        Plan { waves, unplaceable }
    }

    /// Why VM `v` found no room.
    fn reason(&mut self, v: usize) -> (Shortfall, String) {
        let request = self.request;
        let names: Vec<&str> = request.vms[v]
            .customers
            .iter()
            .map(|&c| request.customers[c].id.as_str())
            .collect();
        let whose = match names.as_slice() {
            [] => "default window".to_owned(),
            [one] => format!("window of {one}"),
            [init @ .., last] => format!("common window of {} and {last}", init.join(", ")),
        };
        let key = self.keys[v].clone();
        let list = self.common(&key);
        let needs = show_duration(self.durations[v]);
        match list.iter().map(|i| i.end - i.start).max() {
            None => (
                Shortfall::NoCommonWindow,
                format!("no {whose} in {HORIZON_DAYS} days"),
            ),
            Some(longest) if longest < self.durations[v] => (
                Shortfall::TooLong,
                format!("needs {needs}, longest {whose} is {}", show_duration(longest)),
            ),
            Some(_) => (
                Shortfall::Full,
                format!(
                    "needs {needs}; every {whose} long enough within {HORIZON_DAYS} days is already full"
                ),
            ),
        }
    }
}
