//! The token endpoint's hot operations natively (RSA on the `rsa` crate):
//! `cargo bench -p tenant-bench`. The same operations as wasm in V8 are in
//! `bench/micro.mjs`.

use criterion::{criterion_group, criterion_main, Criterion};
use tenant::testing::{block_on, TestCrypto};
use tenant_bench::{Fixture, OPERATIONS};

fn hot_path(c: &mut Criterion) {
    let fixture = block_on(Fixture::new(TestCrypto::default())).expect("fixture");
    for operation in OPERATIONS {
        assert!(block_on(fixture.run(operation)), "{operation} fails");
        c.bench_function(operation, |b| b.iter(|| block_on(fixture.run(operation))));
    }
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
