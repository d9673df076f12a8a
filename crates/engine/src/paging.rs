//! Marker paging of the list operations: the marker is the key of the last item of the previous page.

/// One page of `items` (key, value) after the item whose key is `marker`, and the marker of the next
/// page if there is one.
pub(crate) fn paginate<T>(
    items: Vec<(String, T)>,
    marker: Option<&str>,
    limit: usize,
) -> (Vec<T>, Option<String>) {
    let start = match marker {
        Some(m) => items
            .iter()
            .position(|(k, _)| k == m)
            .map_or(items.len(), |i| i + 1),
        None => 0,
    };
    let total = items.len();
    let end = start.saturating_add(limit).min(total);
    let next = (end < total && end > start).then(|| items[end - 1].0.clone());
    let page = items
        .into_iter()
        .skip(start)
        .take(end - start)
        .map(|(_, v)| v)
        .collect();
    (page, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_markers() {
        let items: Vec<(String, u32)> = (1..=5).map(|i| (format!("k{i}"), i)).collect();
        assert_eq!(paginate(items.clone(), None, 2), (vec![1, 2], Some("k2".into())));
        assert_eq!(
            paginate(items.clone(), Some("k2"), 2),
            (vec![3, 4], Some("k4".into()))
        );
        assert_eq!(paginate(items.clone(), Some("k4"), 2), (vec![5], None));
        assert_eq!(paginate(items, Some("zzz"), 2), (vec![], None));
    }
}
