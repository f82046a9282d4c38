//! A function that reads a table: the city nearest to a point, from the
//! table `cities (name text, lat float8, lon float8)` on the search path,
//! read through slackfuel's host interface (a read-only query with bound
//! parameters) and measured in the guest by the haversine formula.
//!
//!     nearest_city(lat float8, lon float8) RETURNS text STABLE
//!     cities_within(lat float8, lon float8, km float8) RETURNS bigint STABLE

use slackfuel::host::{self, Value};

fn haversine(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (dlat, dlon) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dlat / 2.0).sin().powi(2)
        + lat1.to_radians().cos() * lat2.to_radians().cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6371.0088 * a.sqrt().min(1.0).asin()
}

fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Float8(f) => Some(*f),
        Value::Float4(f) => Some(*f as f64),
        _ => None,
    }
}

/// (name, distance in km) of every city with a position.
fn distances(lat: f64, lon: f64, rows: Vec<Vec<Value>>) -> impl Iterator<Item = (String, f64)> {
    rows.into_iter().filter_map(move |row| match (&row[0], float(&row[1]), float(&row[2])) {
        (Value::Text(name), Some(clat), Some(clon)) => Some((name.clone(), haversine(lat, lon, clat, clon))),
        _ => None,
    })
}

slackfuel::export! {
    fn nearest_city(lat: f64, lon: f64) -> Result<String, String> {
        let rows = host::query("SELECT name, lat, lon FROM cities", &[], 0);
        distances(lat, lon, rows)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(name, _)| name)
            .ok_or_else(|| "no city has a position".to_string())
    }

    /// The bounding box of latitudes narrows the query; the distance
    /// decides.  One degree of latitude is about 111.2 km.
    fn cities_within(lat: f64, lon: f64, km: f64) -> i64 {
        let margin = km / 111.19 + 0.01;
        let rows = host::query(
            "SELECT name, lat, lon FROM cities WHERE lat BETWEEN $1 AND $2",
            &[Value::Float8(lat - margin), Value::Float8(lat + margin)],
            0,
        );
        distances(lat, lon, rows).filter(|(_, d)| *d <= km).count() as i64
    }
}
