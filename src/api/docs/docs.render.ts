// The API reference page (/api/docs): plain HTML rendered on the server from the OpenAPI document,
// so it needs no CDN and no script (the CSP allows none from elsewhere).
// biome-ignore lint/suspicious/noExplicitAny: walks an arbitrary OpenAPI document
type Json = Record<string, any>;

const esc = (s: unknown) =>
  String(s ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** A compact, readable type expression for a JSON schema (refs by name, objects one level deep). */
export function schemaText(schema: Json | undefined, doc: Json, depth = 0): string {
  if (!schema) return "";
  if (schema.$ref) {
    const name = String(schema.$ref).split("/").pop()!;
    const target = doc.components?.schemas?.[name];
    return depth > 0 || !target ? name : schemaText(target, doc, depth);
  }
  if (schema.enum) return schema.enum.map((v: unknown) => JSON.stringify(v)).join(" | ");
  if (schema.anyOf || schema.oneOf) return (schema.anyOf ?? schema.oneOf).map((s: Json) => schemaText(s, doc, depth)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
  if (type === "array") return `${schemaText(schema.items, doc, depth + 1)}[]`;
  if (type === "object" && schema.properties && depth < 2) {
    const req = new Set(schema.required ?? []);
    const pad = "  ".repeat(depth + 1);
    const fields = Object.entries(schema.properties as Json).map(
      ([k, v]) => `${pad}${k}${req.has(k) ? "" : "?"}: ${schemaText(v as Json, doc, depth + 1)}${(v as Json).nullable ? " | null" : ""}`,
    );
    return `{\n${fields.join("\n")}\n${"  ".repeat(depth)}}`;
  }
  return type ?? "any";
}

export function renderApiDocs(doc: Json): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries((doc.paths ?? {}) as Json)) {
    for (const [method, op] of Object.entries(ops as Json)) {
      const tag = (op.tags?.[0] as string) ?? "Other";
      const params = (op.parameters ?? []) as Json[];
      const body = op.requestBody?.content?.["application/json"]?.schema;
      const responses = Object.entries((op.responses ?? {}) as Json)
        .map(([code, r]) => {
          const s = (r as Json).content?.["application/json"]?.schema;
          return `<tr><td><code>${esc(code)}</code></td><td>${esc((r as Json).description)}</td><td>${s ? `<pre>${esc(schemaText(s, doc))}</pre>` : ""}</td></tr>`;
        })
        .join("");
      const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, "-");
      const html = `<section class="op" id="${esc(id)}">
  <h3><span class="m m-${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
  <p>${esc(op.summary ?? "")}</p>${op.description ? `<p>${esc(op.description)}</p>` : ""}
  ${params.length ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>required</th></tr>${params.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td><code>${esc(schemaText(p.schema, doc))}</code></td><td>${p.required ? "yes" : "no"}</td></tr>`).join("")}</table>` : ""}
  ${body ? `<h4>Request body (application/json)</h4><pre>${esc(schemaText(body, doc))}</pre>` : ""}
  <h4>Responses</h4><table><tr><th>status</th><th>meaning</th><th>body</th></tr>${responses}</table>
</section>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const tags = [...byTag.keys()].sort();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info?.title)} API reference</title>
<style>
:root { color-scheme: light dark; --b: #8884; }
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
nav a { margin-right: 1rem; } code, pre { font: 13px ui-monospace, monospace; }
pre { background: #8881; padding: .5rem; overflow-x: auto; margin: 0; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 1rem; } td, th { border: 1px solid var(--b); padding: .25rem .5rem; text-align: left; vertical-align: top; }
.op { border-top: 1px solid var(--b); padding-top: .5rem; } .m { font: bold 12px ui-monospace, monospace; padding: .1rem .4rem; border-radius: 3px; background: #36c3; }
.m-post { background: #3a63; } .m-delete { background: #c333; }
</style></head><body>
<h1>${esc(doc.info?.title)} <small>${esc(doc.info?.version)}</small></h1>
<p>${esc(doc.info?.description)}</p>
<p>Every <code>/api</code> request except health and these documents needs <code>Authorization: Bearer &lt;Clerk session token&gt;</code> (none in local mode).
Errors always look like <code>{"error": {"code", "message", "field"?, "details"?}, "requestId"}</code>. Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
<nav>${tags.map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join("")}</nav>
${tags.map((t) => `<h2 id="tag-${esc(t)}">${esc(t)}</h2>${byTag.get(t)!.join("\n")}`).join("\n")}
</body></html>`;
}
