//! levenshtein(a text, b text) -> integer: the edit distance between two
//! strings in Unicode code points, as examples/c/levenshtein.c computes it.

slackfuel::export! {
    fn levenshtein(a: &str, b: &str) -> i32 {
        let x: Vec<char> = a.chars().collect();
        let y: Vec<char> = b.chars().collect();
        let mut row: Vec<u32> = (0..=y.len() as u32).collect();
        for (i, cx) in x.iter().enumerate() {
            let mut diag = row[0];
            row[0] = i as u32 + 1;
            for (j, cy) in y.iter().enumerate() {
                let up = row[j + 1];
                row[j + 1] = (diag + (cx != cy) as u32).min(up + 1).min(row[j] + 1);
                diag = up;
            }
        }
        row[y.len()] as i32
    }
}
