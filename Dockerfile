# fusion-billing: multi-stage build with a cached dependency layer; runs as a non-root user.
FROM rust:1-slim-bookworm AS build
WORKDIR /app
# 1. Dependencies only (cached until Cargo.toml/Cargo.lock change).
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src/bin \
 && echo 'fn main() {}' > src/main.rs \
 && echo 'fn main() {}' > src/bin/odoo_sim.rs \
 && for b in ingest_bench usage_bench rating_bench; do echo 'fn main() {}' > src/bin/$b.rs; done \
 && touch src/lib.rs \
 && cargo build --profile production --locked \
 && rm -rf src target/production/deps/fusion_billing* target/production/deps/libfusion_billing*
# 2. The application.
COPY config config
COPY migrations migrations
COPY fixtures fixtures
COPY src src
RUN cargo build --profile production --locked --bin fusion-billing --bin odoo-sim

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/fusion --create-home fusion
COPY --from=build /app/target/production/fusion-billing /app/target/production/odoo-sim /usr/local/bin/
USER fusion
WORKDIR /var/lib/fusion
ENV FUSION__SERVER__BIND=0.0.0.0:8080 \
    FUSION__STORE__URL=sqlite:///var/lib/fusion/data/fusion.db
VOLUME ["/var/lib/fusion/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["fusion-billing", "healthcheck"]
CMD ["fusion-billing", "serve"]
