# stormwatch as a container: the npm package (built and packed here, exactly what `npm pack`
# ships), installed with production dependencies only, run as the unprivileged `node` user.
#   docker build -t stormwatch .
#   docker run -v $PWD/stormwatch.yaml:/etc/stormwatch/stormwatch.yaml:ro -v sw-state:/var/lib/stormwatch -p 9464:9464 stormwatch

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.package.json README.md ./
COPY src ./src
COPY scripts ./scripts
COPY models ./models
COPY alerts ./alerts
COPY examples ./examples
COPY docs ./docs
COPY stormwatch.schema.json ./
COPY dashboards ./dashboards
COPY fixtures/configs/crates-2023-07-20.replay.yaml ./fixtures/configs/
COPY fixtures/scenarios/crates-2023-07-20-broken-redirect.om ./fixtures/scenarios/
# prepack builds dist/ from src/ and the bundler (tsconfig.package.json: no benches or development
# scripts, which import the tests' helpers); the tarball holds only what package.json `files` lists.
RUN npm pack --pack-destination /tmp && mv /tmp/stormwatch-*.tgz /tmp/stormwatch.tgz

FROM node:20-bookworm-slim
ENV NODE_ENV=production
COPY --from=build /tmp/stormwatch.tgz /tmp/stormwatch.tgz
RUN npm install --global --omit=dev --no-audit --no-fund /tmp/stormwatch.tgz \
 && rm /tmp/stormwatch.tgz && npm cache clean --force \
 && mkdir -p /etc/stormwatch /var/lib/stormwatch && chown node:node /var/lib/stormwatch
# State (outbox, baselines, deploy windows) must outlive the container: mount a volume here.
VOLUME /var/lib/stormwatch
USER node
EXPOSE 9464
# /livez answers while the process serves (no source access needed); /readyz is for Kubernetes.
# Plain HTTP, or HTTPS when server.tls is set (a plain request to a TLS server fails to connect; the
# certificate is not checked: its name is not 127.0.0.1's, and this asks the process itself).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const u = '127.0.0.1:9464/livez'; const done = (r) => process.exit(r.statusCode === 200 ? 0 : 1); require('http').get('http://' + u, done).on('error', () => require('https').get('https://' + u, { rejectUnauthorized: false }, done).on('error', () => process.exit(1)))"]
ENTRYPOINT ["stormwatch"]
CMD ["run", "--config", "/etc/stormwatch/stormwatch.yaml", "--listen", "0.0.0.0:9464", "--state-dir", "/var/lib/stormwatch"]
