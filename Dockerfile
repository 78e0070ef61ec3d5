# One image for the API, the worker and the simulators; the command picks the process.
# Node 24 is the current LTS (Node 20 reached end of life in April 2026).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The workflow bundle is built once here; the worker loads it through WORKFLOW_BUNDLE_PATH instead of
# running webpack at every start (and every replica runs byte-identical workflow code).
RUN npm run build \
  && node dist/scripts/build-workflow-bundle.js dist/workflow-bundle.js \
  && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The demo transit operator's published fares (GTFS), loaded by the demo seed.
COPY --from=build /app/test/fixtures/gtfs ./test/fixtures/gtfs
# The shared key volume mounts here; owned by node so the simulators can write the demo keys.
RUN mkdir -p /keys && chown node:node /keys
USER node
# API 8080, MLLP 2575, API metrics 9465, worker metrics 9464.
EXPOSE 8080 2575 9465 9464
CMD ["node", "dist/api/main.js"]
