fn main() {
    let t = std::time::Instant::now();
    let kb = rdperr::Kb::builder().embedded().build().unwrap();
    let load = t.elapsed();
    let t = std::time::Instant::now();
    let _ = kb.lookup("0x204");
    let first = t.elapsed();
    let t = std::time::Instant::now();
    for _ in 0..1000 {
        let _ = kb.lookup("crendentials did not wrok");
    }
    if std::env::var_os("LOOP").is_some() {
        for _ in 0..5000 {
            let _ = kb.lookup("crendentials did not wrok");
        }
    }
    let steady = t.elapsed() / 1000;
    println!(
        "load {:?} first-lookup(engine build) {:?} steady lookup {:?}",
        load, first, steady
    );
}
