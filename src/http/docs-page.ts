/** @module The `/docs` page: renders `/openapi.json` as a readable list of operations. Self-contained: no CDN. */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ramp-connect API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1rem;color:#1a1a1a}
h1{font-size:1.5rem}.op{border:1px solid #ddd;border-radius:6px;margin:.5rem 0}
.op>summary{cursor:pointer;padding:.5rem .75rem;display:flex;gap:.75rem;align-items:baseline}
.op>summary:focus-visible{outline:3px solid #2563eb}
.m{font:600 12px monospace;padding:2px 6px;border-radius:4px;color:#fff;min-width:4em;text-align:center}
.get{background:#2563eb}.post{background:#15803d}.put{background:#b45309}.delete{background:#b91c1c}.patch{background:#7c3aed}.head,.options{background:#555}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f6f6f6;padding:.5rem;overflow:auto;border-radius:4px}
.body{padding:0 .75rem .75rem}
</style></head>
<body><main><h1>ramp-connect API</h1><p id="desc"></p><p><a href="/openapi.json">openapi.json</a></p><div id="ops">Loading…</div></main>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  document.getElementById('desc').textContent=doc.info.description||'';
  const ops=document.getElementById('ops');ops.textContent='';
  for(const [path,item] of Object.entries(doc.paths)){
    for(const [method,op] of Object.entries(item)){
      const d=document.createElement('details');d.className='op';
      const s=document.createElement('summary');
      const m=document.createElement('span');m.className='m '+method;m.textContent=method.toUpperCase();
      const p=document.createElement('code');p.textContent=path;
      const t=document.createElement('span');t.textContent=op.summary||'';
      s.append(m,p,t);d.append(s);
      const b=document.createElement('div');b.className='body';
      const pre=document.createElement('pre');
      pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2);
      b.append(pre);d.append(b);ops.append(d);
    }
  }
}).catch(e=>{document.getElementById('ops').textContent='Could not load the API description: '+e.message});
</script></body></html>`;
