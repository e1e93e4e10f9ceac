// Durable Object classes of the platform adapters, exported for wrangler.toml's bindings (filled when worker-stores lands).
export {};
