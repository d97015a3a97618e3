# spdk-conductor: the per-node sidecar next to spdk_tgt in an instance-manager pod.
# Build: docker build -t spdk-conductor .
# Run beside spdk_tgt, sharing its RPC socket directory:
#   docker run -v /var/tmp:/var/tmp spdk-conductor serve --spdk-socket /var/tmp/spdk.sock
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY spdk ./spdk
COPY scripts ./scripts
COPY rpc-schemas ./rpc-schemas
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# nvme-cli manages host-side connections for volumes whose frontend the service owns.
RUN apt-get update && apt-get install -y --no-install-recommends nvme-cli tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/rpc-schemas ./rpc-schemas
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/src/cli/bin.js"]
CMD ["serve"]
