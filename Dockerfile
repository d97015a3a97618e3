# spdk-conductor: the per-node sidecar next to spdk_tgt (deploy/ has the Kubernetes manifests).
# Build: docker build -t spdk-conductor .
# Run beside spdk_tgt, sharing its RPC socket directory and with the state on the host:
#   docker run --network host -v /var/tmp/spdk:/var/tmp/spdk -v /var/lib/spdk-conductor:/var/lib/spdk-conductor \
#     spdk-conductor serve --spdk-socket /var/tmp/spdk/spdk.sock --export-address 10.0.0.7 --http-address 10.0.0.7:9646
#
# What changed from the first image:
# - Node 24 (LTS, supported to April 2028) instead of Node 20, which reached its end of life in
#   April 2026. The major version is pinned by tag; pin the digest (node:24-bookworm-slim@sha256:...)
#   where builds must be reproducible. Both stages use the same base so native modules match.
# - Runs as the image's non-root user (uid 1000, "node"). The nvme-host frontend runs nvme-cli
#   connect, which needs root and privilege: run it with --user 0 --privileged (Kubernetes: the
#   deploy/nvme-host overlay).
# - The simulator runs only when asked for: CONDUCTOR_SIMULATOR=false makes `serve` without
#   --spdk-socket exit 2; `serve --simulator` runs it (a demo, never a node). Outside the image
#   (npm start, the tests) no --spdk-socket still means the embedded simulator.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY spdk ./spdk
COPY scripts ./scripts
COPY rpc-schemas ./rpc-schemas
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# nvme-cli manages host-side connections for volumes whose frontend the service owns; tini reaps
# nvme-cli's children and forwards SIGTERM so serve closes cleanly.
RUN apt-get update && apt-get install -y --no-install-recommends nvme-cli tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Memory (bench:scale, 3,000 replicas and 500 engines): glibc's per-thread malloc arenas and
# V8's default 16 MiB semi-spaces kept ~65 MiB of RSS the service never uses at rest; V8's old
# generation grew to several times its live set under churn before a major GC (ENTRYPOINT's
# --heap-growing-percent=50; no heap limit); glibc kept freed MiB-sized buffers at its heaps' tops
# once its adaptive thresholds had risen (fixed here). libuv's pool at 8 threads: a backup target on
# a hung NFS mount holds at most half of them (src/threadpool.ts). scripts/lib/serve-node-flags.ts holds the same flags.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_TRIM_THRESHOLD_=131072 \
    MALLOC_MMAP_THRESHOLD_=262144 \
    UV_THREADPOOL_SIZE=8 \
    CONDUCTOR_SIMULATOR=false \
    CONDUCTOR_API_SOCKET=/var/run/spdk-conductor/api.sock
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/rpc-schemas ./rpc-schemas
# The directories serve writes, owned by the non-root user; a mounted state volume must be too.
RUN mkdir -p /var/lib/spdk-conductor /var/run/spdk-conductor && chown 1000:1000 /var/lib/spdk-conductor /var/run/spdk-conductor
USER 1000:1000
VOLUME ["/var/lib/spdk-conductor"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=4", "--heap-growing-percent=50", "/app/dist/src/cli/bin.js"]
CMD ["serve"]
