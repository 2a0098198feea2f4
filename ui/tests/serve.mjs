// Serves ui/dist on 127.0.0.1 (module scripts do not load from file://).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";

const DIST = new URL("../dist/", import.meta.url).pathname;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

export async function serveDist() {
  const server = createServer(async (req, res) => {
    const path = join(DIST, req.url === "/" ? "popup.html" : req.url.split("?")[0]);
    let body;
    try {
      body = await readFile(path);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  server.base = `http://127.0.0.1:${server.address().port}`;
  return server;
}
