// Bundles the pages into dist/ (what the Tauri shell embeds and the UI tests load).
import { build } from "esbuild";
import { cpSync, mkdirSync } from "node:fs";

mkdirSync("dist", { recursive: true });
await build({
  entryPoints: { popup: "src/popup.ts", settings: "src/settings.ts", briefing: "src/briefing.ts" },
  bundle: true,
  format: "esm",
  target: "es2022",
  outdir: "dist",
  minify: true,
  sourcemap: false,
  logLevel: "warning",
});
for (const f of ["popup.html", "settings.html", "briefing.html", "styles.css"]) cpSync(f, `dist/${f}`);
