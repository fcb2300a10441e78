import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The window loads the built files from disk (tauri.conf.json frontendDist); there is no
// dev server, so the CSP never needs to allow one.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
    // One small bundle; no inline data URLs for assets (the CSP allows them for images only).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
