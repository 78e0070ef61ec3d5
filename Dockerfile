# One image for the API, the worker and the simulators; the command picks the process.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The shared key volume mounts here; owned by node so the simulators can write the demo keys.
RUN mkdir -p /keys && chown node:node /keys
USER node
CMD ["node", "dist/api/main.js"]
