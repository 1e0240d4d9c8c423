# syntax=docker/dockerfile:1
# One image for every Glimpse app. The app is chosen by the command (`docker run glimpse registry`)
# or by GLIMPSE_APP (api, registry, cache-agent, scrubber, pruner, migrate, scrub, embedded);
# see deploy/docker/entrypoint.sh.
#
#   docker build -t glimpse .
#   docker run --rm -p 9292:9292 -e GLIMPSE_NATS_URL=nats://nats:4222 glimpse api

ARG NODE_IMAGE=node:20-bookworm

# --- build: all dependencies (better-sqlite3 compiles here: python3, make and g++ come with the
# full node image), then the webpack build of every app, then only the production dependencies.
FROM ${NODE_IMAGE} AS build
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false CI=true
WORKDIR /src
COPY package.json package-lock.json ./
# The sendfile addon is a local package (file:native/sendfile) that npm ci builds.
COPY native ./native
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npx nx run-many -t build --outputStyle=static --parallel=2 \
 && test -f dist/apps/registry/migrate.js && test -f dist/apps/scrubber/scrub.js \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/.cache

# --- runtime: the slim image, no compiler, no npm cache, no sources; a fixed non-root uid so that
# volumes and Kubernetes' runAsUser agree on it.
FROM ${NODE_IMAGE}-slim AS runtime
ARG GLIMPSE_UID=10001
# qemu-img is only needed by [image_import_opts] image_import_plugins = image_conversion.
ARG WITH_QEMU_UTILS=false
RUN if [ "$WITH_QEMU_UTILS" = "true" ]; then \
      apt-get update && apt-get install -y --no-install-recommends qemu-utils && rm -rf /var/lib/apt/lists/*; \
    fi \
 && groupadd --system --gid "$GLIMPSE_UID" glimpse \
 && useradd --system --uid "$GLIMPSE_UID" --gid glimpse --home-dir /var/lib/glimpse --shell /usr/sbin/nologin glimpse \
 && install -d -o glimpse -g glimpse -m 0750 /var/lib/glimpse /var/lib/glimpse/image-cache \
 && install -d -m 0755 /etc/glimpse
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
# node_modules/@glimpse/sendfile links here.
COPY --from=build /src/native ./native
COPY --from=build /src/dist/apps ./dist/apps
COPY --from=build /src/bin ./bin
# The container's defaults (bind_host = 0.0.0.0, data_dir = /var/lib/glimpse) are a config file
# that the entrypoint lays under the ones given, not GLIMPSE_* variables, which would override
# every config file. The apps run over NATS unless told otherwise.
COPY deploy/docker/entrypoint.sh deploy/docker/healthcheck.js deploy/docker/container.conf ./deploy/docker/
ENV NODE_ENV=production \
    GLIMPSE_APP=api
USER ${GLIMPSE_UID}:${GLIMPSE_UID}
# api, registry health, cache agent, scrubber health, pruner health
EXPOSE 9292 9191 9296 9297 9298
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/deploy/docker/healthcheck.js"]
ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]
CMD []
