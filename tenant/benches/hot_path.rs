//! The token endpoint's hot operations natively, RSA on the `rsa` crate as
//! in the host tests: `cargo bench -p tenant --features testing --bench hot_path`.
//! The same operations as wasm in V8, RSA on WebCrypto, are `bench/micro.mjs`;
//! `scripts/bench-micro.sh` runs both.

use criterion::{criterion_group, criterion_main, Criterion};
use tenant::testing::hot_path::{Fixture, OPERATIONS};
use tenant::testing::{block_on, TestCrypto};

fn hot_path(c: &mut Criterion) {
    let fixture = block_on(Fixture::new(TestCrypto::default())).expect("fixture");
    for operation in OPERATIONS {
        assert!(block_on(fixture.run(operation)), "{operation} fails");
        c.bench_function(operation, |b| b.iter(|| block_on(fixture.run(operation))));
    }
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
