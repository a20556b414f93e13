//! A name for a visitor who has not given theirs, made from the conversation's id: "Teal Fox"
//! tells two rows of an inbox apart where "Visitor" twice does not, and the same id always
//! gives the same name (the list, the conversation, the tickets). Not unique: 1,024 names.

const ADJECTIVES: [&str; 32] = [
    "Amber", "Azure", "Bold", "Brave", "Bright", "Calm", "Clever", "Coral", "Cosy", "Crisp",
    "Gentle", "Golden", "Happy", "Indigo", "Jolly", "Keen", "Kind", "Lively", "Lucky", "Mellow",
    "Mint", "Noble", "Olive", "Plum", "Quick", "Quiet", "Ruby", "Sage", "Sunny", "Swift", "Teal",
    "Witty",
];

const ANIMALS: [&str; 32] = [
    "Badger", "Bear", "Beaver", "Bison", "Crane", "Deer", "Dolphin", "Eagle", "Falcon", "Finch",
    "Fox", "Gecko", "Hare", "Heron", "Ibis", "Koala", "Lark", "Lynx", "Marten", "Moose", "Otter",
    "Owl", "Panda", "Puffin", "Robin", "Seal", "Sparrow", "Swan", "Tiger", "Turtle", "Wolf",
    "Wren",
];

/// The friendly name of the visitor of conversation `id`.
pub fn friendly(id: &str) -> String {
    // FNV-1a, then a finaliser so ids that differ in their last digit spread too: stable
    // across builds and platforms, unlike the standard library's hasher.
    let mut hash = id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    let adjective = ADJECTIVES[(hash % 32) as usize];
    let animal = ANIMALS[((hash >> 32) % 32) as usize];
    format!("{adjective} {animal}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_id_gives_the_same_name_and_ids_spread_over_the_names() {
        let id = "8aaf824b5d1c4e0f9a7b3c2d1e0f9a8b";
        assert_eq!(friendly(id), friendly(id));
        assert_eq!(friendly(id).split(' ').count(), 2);
        let names: std::collections::HashSet<String> =
            (0..200).map(|n| friendly(&format!("{n:032x}"))).collect();
        assert!(names.len() > 150, "200 ids gave {} names", names.len());
    }
}
