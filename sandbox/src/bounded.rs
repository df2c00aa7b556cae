//! A map that holds at most so many entries, forgetting the oldest first: what the sandbox
//! remembers (consent requests, codes, spent and revoked tokens) cannot grow without end.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

#[derive(Debug)]
pub struct Bounded<K, V> {
    entries: HashMap<K, V>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V> Bounded<K, V> {
    pub fn new(capacity: usize) -> Bounded<K, V> {
        Bounded {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Inserts (or replaces) an entry; when full, the oldest one is forgotten.
    pub fn insert(&mut self, key: K, value: V) {
        if self.entries.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
        }
        while self.entries.len() > self.capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
        // Keys removed earlier leave stale places in the order: drop them once they pile up.
        if self.order.len() > self.capacity * 2 {
            let entries = &self.entries;
            self.order.retain(|key| entries.contains_key(key));
        }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key)
    }

    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.entries.remove(key)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_entries_are_forgotten_first() {
        let mut map = Bounded::new(2);
        map.insert("a", 1);
        map.insert("b", 2);
        map.insert("c", 3);
        assert!(!map.contains(&"a"));
        assert_eq!(map.get(&"c"), Some(&3));
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn removing_and_reinserting_stays_bounded() {
        let mut map = Bounded::new(3);
        for round in 0..1000 {
            map.insert(round, round);
            map.remove(&round);
            map.insert(round % 7, round);
        }
        assert!(map.len() <= 3);
        assert!(map.order.len() <= 6 + 1);
    }
}
