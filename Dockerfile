# The workload-agent image: /opt/draios and nothing else.
#
# Build stage: the same `npm run dist` the tests run (scripts/dist.mjs), from a
# clean `npm ci` (which builds the addon and the TypeScript).
# Final stage: scratch + the self-contained tree. Use it either way:
#   - as the SysdigInstrumentation sidecar (entrypoint: bin/logwriter), whose
#     VOLUME /opt/draios the workload mounts with VolumesFrom (read-only);
#   - or as a source: COPY --from=<this image> /opt/draios /opt/draios
# See docs/deploy.md.

FROM node:20-bookworm AS build
# Node headers from the image itself: node-gyp downloads nothing.
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY . /src
RUN npm ci --no-audit --no-fund \
 && npm run dist -- --prefix /opt/draios

FROM scratch
LABEL org.opencontainers.image.title="draios workload agent" \
      org.opencontainers.image.description="Runtime-security workload agent for serverless containers: /opt/draios"
COPY --from=build /opt/draios /opt/draios
VOLUME ["/opt/draios"]
USER 65534:65534
ENTRYPOINT ["/opt/draios/bin/logwriter"]
