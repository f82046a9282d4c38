// A module of about 1 MB for measuring compile speed with several threads
// (bench/plugins/compile-speed.sh builds it with Debian's rustc): records
// of 110 shapes, each with derived traits, parsed from text, sorted,
// deduplicated, hashed, counted in maps and formatted back -- the generic
// code a Rust library instantiates for its types, which is most of a real
// Rust module's size.  run(n) returns a checksum (compared with V8's).
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;

macro_rules! records {
    ($($name:ident { $($field:ident : $ty:ty),* })*) => {
        $(
            #[derive(Debug, Clone, PartialEq, PartialOrd, Default)]
            pub struct $name { $(pub $field: $ty),* }

            impl $name {
                fn parse(s: &str) -> Option<$name> {
                    let mut it = s.split(',');
                    Some($name { $($field: it.next()?.trim().parse::<$ty>().ok()?),* })
                }

                #[allow(unused_assignments)]
                fn work(n: u32) -> u64 {
                    let mut text = String::new();
                    for i in 0..n {
                        let mut first = true;
                        $(
                            let _ = stringify!($field);
                            if !first { text.push(','); }
                            first = false;
                            let v = (i.wrapping_mul(2654435761) >> 7) % 1000;
                            let _ = write!(text, "{}", v as $ty);
                        )*
                        text.push('\n');
                    }
                    let mut v: Vec<$name> = text.lines().filter_map($name::parse).collect();
                    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
                    v.dedup();
                    let mut by: BTreeMap<String, usize> = BTreeMap::new();
                    let mut seen: HashMap<String, u32> = HashMap::new();
                    let mut set: HashSet<usize> = HashSet::new();
                    let mut h: u64 = 0;
                    for r in &v {
                        let d = format!("{:?}", r);
                        *by.entry(d.clone()).or_insert(0) += 1;
                        *seen.entry(d.to_uppercase()).or_insert(0) += 1;
                        set.insert(d.len());
                        for b in d.bytes() { h = h.wrapping_mul(31).wrapping_add(b as u64); }
                    }
                    h ^ (by.len() as u64) ^ ((seen.len() as u64) << 16) ^ ((set.len() as u64) << 32)
                }
            }
        )*

        fn all(n: u32) -> u64 {
            let mut h = 0u64;
            $( h = h.rotate_left(5) ^ $name::work(n); )*
            h
        }
    };
}

records! {
    R0 { f0: f64, f1: u16, f2: i8 }
    R1 { f0: i64, f1: i64 }
    R2 { f0: usize, f1: i32, f2: u64, f3: u16, f4: i64 }
    R3 { f0: i32, f1: i32 }
    R4 { f0: u8, f1: isize, f2: i64, f3: i8, f4: isize, f5: u64 }
    R5 { f0: u16, f1: i16, f2: u8, f3: u8, f4: u8, f5: usize }
    R6 { f0: u8, f1: i32, f2: usize, f3: u64, f4: i32, f5: isize }
    R7 { f0: f32, f1: u64 }
    R8 { f0: i64, f1: f32, f2: u64, f3: i16, f4: u64 }
    R9 { f0: u64, f1: i64, f2: i8, f3: u8, f4: i32, f5: f32, f6: usize }
    R10 { f0: u32, f1: usize }
    R11 { f0: i8, f1: u16, f2: isize, f3: i16, f4: isize, f5: isize, f6: f32 }
    R12 { f0: f32, f1: usize, f2: u64, f3: i8, f4: i8 }
    R13 { f0: i64, f1: f32, f2: i32, f3: f64, f4: u8, f5: i64 }
    R14 { f0: isize, f1: i32, f2: i32 }
    R15 { f0: u32, f1: i16, f2: f32, f3: isize, f4: usize, f5: isize, f6: i16 }
    R16 { f0: i64, f1: usize }
    R17 { f0: u16, f1: u32, f2: f32, f3: i32, f4: i16, f5: i64 }
    R18 { f0: u8, f1: i64, f2: u8, f3: i8, f4: isize, f5: f64, f6: f64 }
    R19 { f0: i32, f1: usize, f2: u32, f3: u32, f4: f32, f5: u64 }
    R20 { f0: u64, f1: f32 }
    R21 { f0: u64, f1: i32, f2: f32, f3: i16, f4: f64, f5: i16 }
    R22 { f0: i8, f1: usize, f2: f32, f3: f64, f4: isize }
    R23 { f0: i32, f1: isize }
    R24 { f0: u32, f1: f32, f2: f32, f3: u64, f4: i32, f5: u8 }
    R25 { f0: i16, f1: f64, f2: f32, f3: u64, f4: f32 }
    R26 { f0: i64, f1: i16, f2: i32, f3: i16, f4: u8 }
    R27 { f0: f32, f1: f64, f2: f64, f3: i16, f4: i64, f5: f64 }
    R28 { f0: u64, f1: usize }
    R29 { f0: f32, f1: f64, f2: u32 }
    R30 { f0: f32, f1: i8 }
    R31 { f0: usize, f1: u16 }
    R32 { f0: u8, f1: i64 }
    R33 { f0: i8, f1: u64 }
    R34 { f0: u16, f1: f64, f2: u32, f3: i16 }
    R35 { f0: u16, f1: u32, f2: u32, f3: i8 }
    R36 { f0: u32, f1: usize, f2: i8, f3: usize, f4: isize, f5: i8 }
    R37 { f0: isize, f1: i16, f2: i64, f3: i64, f4: u16 }
    R38 { f0: i8, f1: i32 }
    R39 { f0: i32, f1: u64, f2: i8, f3: u16 }
    R40 { f0: isize, f1: f32, f2: u64, f3: f64 }
    R41 { f0: u8, f1: u64, f2: u8, f3: i32, f4: u32 }
    R42 { f0: isize, f1: u32 }
    R43 { f0: isize, f1: f32, f2: usize, f3: i32, f4: f32 }
    R44 { f0: usize, f1: isize, f2: f32 }
    R45 { f0: u64, f1: f32, f2: usize, f3: u8, f4: i32 }
    R46 { f0: f64, f1: i16, f2: usize, f3: usize, f4: i32, f5: u8, f6: isize }
    R47 { f0: u32, f1: u64, f2: u8, f3: i8 }
    R48 { f0: u16, f1: i8 }
    R49 { f0: isize, f1: u32, f2: i32, f3: f64 }
    R50 { f0: u32, f1: u8, f2: f32, f3: u8 }
    R51 { f0: u64, f1: f64, f2: i64, f3: u32, f4: isize, f5: f64 }
    R52 { f0: u8, f1: i32, f2: u64, f3: i16, f4: u16, f5: u64 }
    R53 { f0: usize, f1: i32, f2: f64, f3: u64, f4: i64, f5: u16 }
    R54 { f0: i32, f1: i8, f2: f32, f3: i64, f4: u8, f5: i16, f6: f64 }
    R55 { f0: i8, f1: u8, f2: u32, f3: u64, f4: i16 }
    R56 { f0: u32, f1: i16, f2: i32, f3: u64, f4: i8, f5: usize }
    R57 { f0: i32, f1: f32 }
    R58 { f0: usize, f1: f32, f2: i64, f3: f32 }
    R59 { f0: u16, f1: isize, f2: u8 }
    R60 { f0: u32, f1: u32 }
    R61 { f0: f32, f1: u64, f2: i8 }
    R62 { f0: f64, f1: f32, f2: i8, f3: i16 }
    R63 { f0: i16, f1: u16, f2: i8, f3: u64 }
    R64 { f0: isize, f1: i64, f2: u32, f3: f64, f4: f32, f5: u16 }
    R65 { f0: u8, f1: i32, f2: u16, f3: i32 }
    R66 { f0: u32, f1: i16, f2: u16 }
    R67 { f0: f64, f1: i32, f2: u16, f3: f64, f4: f32, f5: u64 }
    R68 { f0: u16, f1: i8, f2: i16, f3: i8, f4: f64, f5: f32 }
    R69 { f0: i64, f1: i8 }
    R70 { f0: u8, f1: i8 }
    R71 { f0: f64, f1: usize }
    R72 { f0: u16, f1: i32 }
    R73 { f0: u8, f1: u64 }
    R74 { f0: f64, f1: i32, f2: u32 }
    R75 { f0: i64, f1: u32 }
    R76 { f0: u64, f1: u32, f2: isize, f3: u16, f4: i32, f5: i32, f6: f32 }
    R77 { f0: f32, f1: i8, f2: isize, f3: i64 }
    R78 { f0: u16, f1: u64, f2: usize, f3: i16 }
    R79 { f0: u8, f1: u8 }
    R80 { f0: isize, f1: f64, f2: i16, f3: i64 }
    R81 { f0: i16, f1: i32, f2: u16, f3: u16, f4: i16 }
    R82 { f0: i64, f1: u16, f2: i8, f3: u64, f4: f64, f5: f32 }
    R83 { f0: i64, f1: usize, f2: i16, f3: i8, f4: u32, f5: f32, f6: u64 }
    R84 { f0: u64, f1: u64, f2: i16, f3: u16 }
    R85 { f0: u16, f1: i64, f2: u16, f3: usize }
    R86 { f0: usize, f1: i16, f2: u64, f3: i32, f4: i8, f5: u8 }
    R87 { f0: u32, f1: i16, f2: f64, f3: i8 }
    R88 { f0: i16, f1: u16, f2: f32 }
    R89 { f0: f64, f1: f64, f2: u16, f3: u64, f4: u64, f5: u8 }
    R90 { f0: i32, f1: u16, f2: i8 }
    R91 { f0: u16, f1: isize, f2: u16, f3: u8, f4: usize, f5: u8 }
    R92 { f0: i16, f1: i64, f2: i64, f3: u32 }
    R93 { f0: f32, f1: i16 }
    R94 { f0: f32, f1: usize }
    R95 { f0: u32, f1: u32, f2: u32 }
    R96 { f0: i8, f1: u16, f2: isize, f3: f32 }
    R97 { f0: i8, f1: u32, f2: u64, f3: u32, f4: f32, f5: isize }
    R98 { f0: i16, f1: f64 }
    R99 { f0: f32, f1: isize, f2: isize, f3: u64, f4: u32, f5: i8, f6: i32 }
    R100 { f0: u32, f1: u8, f2: isize, f3: usize, f4: u64, f5: i8 }
    R101 { f0: usize, f1: i64 }
    R102 { f0: f32, f1: i8, f2: f32, f3: i64, f4: f32 }
    R103 { f0: u8, f1: i32, f2: i16, f3: u32, f4: i8 }
    R104 { f0: u8, f1: usize, f2: i32, f3: f64, f4: u8 }
    R105 { f0: isize, f1: i16 }
    R106 { f0: u32, f1: f64, f2: u32, f3: u32, f4: i8, f5: i8 }
    R107 { f0: f64, f1: i32, f2: u32, f3: f64, f4: u16 }
    R108 { f0: i64, f1: u8, f2: u32 }
    R109 { f0: i16, f1: f32, f2: usize, f3: i64, f4: usize, f5: usize }
}

#[no_mangle]
pub extern "C" fn run(n: i32) -> i32 {
    if n < 0 {
        return -1;
    }
    let h = all((n as u32) % 64 + 1);
    (h ^ (h >> 32)) as i32
}
