# Guichet gateway, production image. Not built on the development machines (no Docker engine there):
# `npm run build` and the compiled output are tested by `test/build.test.ts`; see README "Container".
#
# Stage 1: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY providers ./providers
RUN npm run build

# Stage 2: production dependencies only, the compiled code and the menus; runs as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY menus ./menus
USER node
EXPOSE 8080
# /livez: the process answers (a container orchestrator restarts it otherwise); /readyz is for the load balancer.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM reaches node directly (exec form): in-flight hops are answered before it exits.
CMD ["node", "dist/src/runtime/node/main.js"]
