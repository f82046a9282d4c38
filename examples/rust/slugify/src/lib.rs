//! slugify(title text) -> text: a URL slug.  Letters and digits are kept
//! (lower-cased, Latin accents removed), every other run of characters
//! becomes one hyphen, and there are none at either end.
//!
//!     SELECT slugify('Crème Brûlée: 10 Recipes!');   -- creme-brulee-10-recipes

/// The base letter of a Latin letter with a diacritic, if it has one.
fn unaccent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

slackfuel::export! {
    fn slugify(title: &str) -> String {
        let mut slug = String::with_capacity(title.len());
        let mut hyphen = false;
        for c in title.chars().flat_map(char::to_lowercase) {
            if c.is_alphanumeric() {
                if hyphen && !slug.is_empty() {
                    slug.push('-');
                }
                hyphen = false;
                match unaccent(c) {
                    Some(p) => slug.push_str(p),
                    None => slug.push(c),
                }
            } else {
                hyphen = true;
            }
        }
        slug
    }
}
