// The mind map's behaviour, in plain JavaScript with no library: read the graph that
// mindmap.py embedded as JSON, lay it out with a small force simulation, draw it as SVG, and
// show a node's note (escaped, then a small safe Markdown subset) when it is clicked.
// The page opens on the learner's own notes; clicking a node brings in what it links to.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const data = JSON.parse(document.getElementById("mindmap-data").textContent);
  const nodes = data.nodes;
  const lookup = data.lookup;
  const svg = document.getElementById("map");
  const viewport = document.getElementById("viewport");
  const panel = document.getElementById("panel");
  const search = document.getElementById("search");

  // neighbours[i]: the nodes linked to node i, in either direction.
  const neighbours = nodes.map(() => []);
  for (const [a, b] of data.edges) {
    neighbours[a].push(b);
    neighbours[b].push(a);
  }
  const visible = new Set();
  const expanded = new Set();
  let selected = -1;
  const view = { x: 0, y: 0, scale: 1 };

  // --- what is shown ---------------------------------------------------------------------------
  function startView() {
    // Open collapsed to the learner's notes; with no notes yet, show the cards.
    visible.clear();
    expanded.clear();
    nodes.forEach((node, i) => { if (node.kind === "note") visible.add(i); });
    if (visible.size === 0) nodes.forEach((node, i) => visible.add(i));
  }

  function expand(i) {
    expanded.add(i);
    visible.add(i);
    for (const j of neighbours[i]) {
      if (!visible.has(j)) {
        visible.add(j);
        if (Number.isFinite(nodes[i].x)) { // start next to the node that brought it in
          nodes[j].x = nodes[i].x + (Math.random() - 0.5) * 60;
          nodes[j].y = nodes[i].y + (Math.random() - 0.5) * 60;
        }
      }
    }
  }

  // --- layout: a small force simulation over the visible nodes --------------------------------
  // Every pair pushes apart (like charges), every edge pulls its ends together (a spring),
  // and a weak pull to the centre keeps separate groups on the screen.
  function layout(steps) {
    const ids = Array.from(visible);
    ids.forEach((i, k) => {
      const node = nodes[i];
      if (!Number.isFinite(node.x) || !Number.isFinite(node.y)) { // not placed yet: a circle
        const angle = (2 * Math.PI * k) / ids.length;
        const radius = 60 + 25 * Math.sqrt(ids.length);
        node.x = radius * Math.cos(angle);
        node.y = radius * Math.sin(angle);
      }
    });
    const links = data.edges.filter(([a, b]) => visible.has(a) && visible.has(b));
    for (let step = 0; step < steps; step++) {
      const heat = 1 - step / steps; // moves shrink as the layout settles
      const force = new Map(ids.map((i) => [i, [0, 0]]));
      for (let p = 0; p < ids.length; p++) {
        for (let q = p + 1; q < ids.length; q++) {
          const a = nodes[ids[p]], b = nodes[ids[q]];
          let dx = a.x - b.x, dy = a.y - b.y;
          let d2 = dx * dx + dy * dy;
          if (d2 < 0.01) { dx = Math.random() - 0.5; dy = Math.random() - 0.5; d2 = 0.5; }
          const push = 14000 / d2; // repulsion falls with distance squared
          const d = Math.sqrt(d2);
          force.get(ids[p])[0] += (push * dx) / d; force.get(ids[p])[1] += (push * dy) / d;
          force.get(ids[q])[0] -= (push * dx) / d; force.get(ids[q])[1] -= (push * dy) / d;
        }
      }
      for (const [i, j] of links) {
        const a = nodes[i], b = nodes[j];
        const dx = b.x - a.x, dy = b.y - a.y;
        const d = Math.sqrt(dx * dx + dy * dy) || 1;
        const pull = 0.05 * (d - 120); // a spring of rest length 120
        force.get(i)[0] += (pull * dx) / d; force.get(i)[1] += (pull * dy) / d;
        force.get(j)[0] -= (pull * dx) / d; force.get(j)[1] -= (pull * dy) / d;
      }
      for (const i of ids) {
        const f = force.get(i);
        f[0] -= 0.02 * nodes[i].x;
        f[1] -= 0.02 * nodes[i].y;
        const size = Math.sqrt(f[0] * f[0] + f[1] * f[1]);
        const limit = 30 * heat + 1; // never jump more than this in one step
        const scale = size > limit ? limit / size : 1;
        nodes[i].x += f[0] * scale;
        nodes[i].y += f[1] * scale;
      }
    }
  }

  // --- drawing ---------------------------------------------------------------------------------
  const radius = (node) => 7 + 3.5 * Math.sqrt(node.degree);
  const nodeElements = [];
  const edgeElements = [];

  function build() {
    const edgeLayer = document.getElementById("edges");
    const nodeLayer = document.getElementById("nodes");
    for (const [a, b] of data.edges) {
      const line = document.createElementNS(SVG, "line");
      line.setAttribute("class", "edge");
      if (nodes[a].kind === "note" || nodes[b].kind === "note") line.classList.add("to-note");
      edgeLayer.appendChild(line);
      edgeElements.push(line);
    }
    nodes.forEach((node, i) => {
      const group = document.createElementNS(SVG, "g");
      group.setAttribute("class", "node " + node.kind);
      if (node.status) group.classList.add(node.status);
      group.setAttribute("data-index", String(i));
      group.setAttribute("data-title", node.title);
      const circle = document.createElementNS(SVG, "circle");
      circle.setAttribute("r", String(radius(node)));
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("x", String(radius(node) + 4));
      label.setAttribute("y", "4");
      label.textContent = node.title; // textContent: a title is never parsed as HTML
      const tooltip = document.createElementNS(SVG, "title");
      tooltip.textContent = node.title + " (" + node.degree + " links)";
      group.append(circle, label, tooltip);
      group.addEventListener("click", (event) => { event.stopPropagation(); select(i); });
      nodeLayer.appendChild(group);
      nodeElements.push(group);
    });
  }

  function draw() {
    nodes.forEach((node, i) => {
      const element = nodeElements[i];
      element.classList.toggle("hidden", !visible.has(i));
      element.classList.toggle("selected", i === selected);
      const more = neighbours[i].some((j) => !visible.has(j));
      element.classList.toggle("collapsed", more);
      if (visible.has(i)) element.setAttribute("transform", `translate(${node.x},${node.y})`);
    });
    data.edges.forEach(([a, b], k) => {
      const line = edgeElements[k];
      const shown = visible.has(a) && visible.has(b);
      line.classList.toggle("hidden", !shown);
      if (shown) {
        line.setAttribute("x1", nodes[a].x); line.setAttribute("y1", nodes[a].y);
        line.setAttribute("x2", nodes[b].x); line.setAttribute("y2", nodes[b].y);
      }
    });
    applyView();
  }

  function fit() {
    const ids = Array.from(visible);
    if (ids.length === 0) return;
    const xs = ids.map((i) => nodes[i].x), ys = ids.map((i) => nodes[i].y);
    const box = svg.getBoundingClientRect();
    const width = Math.max(box.width, 200), height = Math.max(box.height, 200);
    const spanX = Math.max(...xs) - Math.min(...xs) + 260;
    const spanY = Math.max(...ys) - Math.min(...ys) + 80;
    view.scale = Math.min(1.6, width / spanX, height / spanY);
    view.x = width / 2 - view.scale * ((Math.max(...xs) + Math.min(...xs)) / 2 + 50);
    view.y = height / 2 - view.scale * ((Math.max(...ys) + Math.min(...ys)) / 2);
  }

  function applyView() {
    viewport.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.scale})`);
  }

  function refresh(steps) {
    layout(steps);
    fit();
    draw();
  }

  // --- the panel: a node's note, rendered safely ------------------------------------------------
  function escapeHtml(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  function findNode(target) {
    const key = String(target).normalize("NFC").split(/\s+/).filter(Boolean).join(" ")
      .toLowerCase();
    return Object.prototype.hasOwnProperty.call(lookup, key) ? lookup[key] : -1;
  }

  function wikilink(target, shown) {
    // target and shown are already escaped; data-target holds escaped text in quotes.
    const broken = findNode(unescapeHtml(target)) < 0 ? " broken" : "";
    return `<span class="wikilink${broken}" data-target="${target}">${shown}</span>`;
  }

  function unescapeHtml(text) {
    return text.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&gt;/g, ">")
      .replace(/&lt;/g, "<").replace(/&amp;/g, "&");
  }

  // One line: escape it all, then turn a few patterns into tags. Code spans first, so that
  // nothing inside them is rendered.
  function renderInline(text) {
    return text.split(/(`+[^`]+?`+)/).map((piece, k) => {
      if (k % 2 === 1) return "<code>" + escapeHtml(piece.replace(/^`+|`+$/g, "")) + "</code>";
      let out = escapeHtml(piece);
      out = out.replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
      out = out.replace(/(^|[^\w*])\*(?!\s)(.+?)\*(?![\w*])/g, "$1<em>$2</em>");
      out = out.replace(/!?\[\[([^[\]|#]+)(?:#[^[\]|]*)?\|([^[\]]+)\]\]/g,
        (m, target, shown) => wikilink(target.trim(), shown));
      out = out.replace(/!?\[\[([^[\]|#]+)(?:#[^[\]|]*)?\]\]/g,
        (m, target) => wikilink(target.trim(), target.trim()));
      // a #tag, as parser.py reads them: not after a letter, '#', '&', '/' or ';' (entities)
      out = out.replace(/(?<![\w#&/;])#([\p{L}_][\p{L}\p{N}_/-]*)/gu, '<span class="tag">#$1</span>');
      return out;
    }).join("");
  }

  function renderMarkdown(text) {
    const blocks = [];
    let paragraph = [], items = [], code = null;
    const flush = () => {
      if (paragraph.length) blocks.push("<p>" + paragraph.map(renderInline).join(" ") + "</p>");
      if (items.length) {
        blocks.push("<ul>" + items.map((item) => "<li>" + renderInline(item) + "</li>").join("")
          + "</ul>");
      }
      paragraph = []; items = [];
    };
    for (const line of String(text).replace(/\r\n/g, "\n").split("\n")) {
      const stripped = line.trim();
      if (code !== null) {
        if (/^(```|~~~)/.test(stripped)) {
          blocks.push("<pre><code>" + escapeHtml(code.join("\n")) + "</code></pre>");
          code = null;
        } else code.push(line);
        continue;
      }
      const heading = stripped.match(/^(#{1,6})\s+(.*?)\s*#*$/);
      if (/^(```|~~~)/.test(stripped)) { flush(); code = []; }
      else if (heading) {
        flush();
        const level = Math.min(heading[1].length + 2, 6);
        blocks.push(`<h${level}>` + renderInline(heading[2]) + `</h${level}>`);
      } else if (/^([-*+]|\d+[.)])\s+/.test(stripped)) {
        if (paragraph.length) flush();
        items.push(stripped.replace(/^([-*+]|\d+[.)])\s+/, ""));
      } else if (!stripped) flush();
      else if (items.length && line.startsWith(" ")) items[items.length - 1] += " " + stripped;
      else { if (items.length) flush(); paragraph.push(stripped); }
    }
    if (code !== null) blocks.push("<pre><code>" + escapeHtml(code.join("\n")) + "</code></pre>");
    flush();
    return blocks.join("\n");
  }

  // sh:name: the file and line that define it (mindmap.py found them with inspect).
  function sourceItem(name, source) {
    const link = `<code>sh:${escapeHtml(name)}</code>`;
    if (!source.file) {
      return `<li class="unresolved">${link}: ${escapeHtml(source.reason)}</li>`;
    }
    return `<li class="source">${link} in <code>${escapeHtml(source.where)}</code>` +
      `<br><span class="hint">${escapeHtml(source.file)}, line ${escapeHtml(source.line)}` +
      "</span></li>";
  }

  // run:ID: the run's name, status and final metrics, as the journal holds them.
  function runItem(id, node) {
    const link = `<code>run:${escapeHtml(id)}</code>`;
    const known = Object.prototype.hasOwnProperty.call(node.run_info, id);
    const run = known ? node.run_info[id] : null;
    if (!run || !run.found) {
      const why = run ? run.reason : "not looked up in the journal";
      return `<li class="run unresolved">${link} (unresolved): ${escapeHtml(why)}</li>`;
    }
    const metrics = Object.entries(run.final_metrics).map(([name, value]) =>
      `${escapeHtml(name)} ${escapeHtml(formatNumber(value))}`).join(", ");
    return `<li class="run">${link} ${escapeHtml(run.name)} ` +
      `<span class="badge run-status">${escapeHtml(run.status)}</span>` +
      (metrics ? `<br><span class="metrics">${metrics}</span>` : "") + "</li>";
  }

  function formatNumber(value) {
    if (typeof value !== "number" || Number.isInteger(value)) return String(value);
    return String(Number(value.toPrecision(4)));
  }

  function showPanel(i) {
    const node = nodes[i];
    const badges = [`<span class="badge">${node.kind === "card" ? "built-in card" : "my note"}</span>`];
    if (node.status) badges.push(`<span class="badge ${node.status}">#${node.status}</span>`);
    badges.push(`<span class="badge">${node.degree} links</span>`);
    let html = `<h2>${escapeHtml(node.title)}</h2><div>${badges.join("")}</div>`;
    html += `<div class="note-body">${renderMarkdown(node.text)}</div>`;
    const linked = neighbours[i].map((j) =>
      `<li data-index="${j}">${escapeHtml(nodes[j].title)}</li>`).join("");
    if (linked) html += `<h4>Linked concepts</h4><ul class="links">${linked}</ul>`;
    if (node.broken.length) {
      html += "<h4>Broken links</h4><ul>" +
        node.broken.map((t) => `<li>[[${escapeHtml(t)}]]: no note or card has this title</li>`)
          .join("") + "</ul>";
    }
    const sources = Object.entries(node.sources);
    if (sources.length) {
      html += "<h4>In the source</h4><ul>" +
        sources.map(([name, source]) => sourceItem(name, source)).join("") + "</ul>";
    }
    if (node.runs.length) {
      html += "<h4>Runs</h4><ul>" + node.runs.map((id) => runItem(id, node)).join("") + "</ul>";
    }
    if (node.path) html += `<p class="hint">File: <code>${escapeHtml(node.path)}</code></p>`;
    panel.innerHTML = html; // every piece of note text above went through escapeHtml
  }

  function select(i) {
    selected = i;
    const before = visible.size;
    expand(i);
    showPanel(i);
    if (visible.size !== before) refresh(250); else draw();
  }

  panel.addEventListener("click", (event) => {
    const link = event.target.closest(".wikilink, .links li");
    if (!link) return;
    const index = link.hasAttribute("data-index") ? Number(link.getAttribute("data-index"))
      : findNode(link.getAttribute("data-target"));
    if (index >= 0) select(index);
  });

  // --- search, buttons, pan and zoom -------------------------------------------------------------
  search.addEventListener("input", () => {
    const query = search.value.trim().toLowerCase();
    let grew = false;
    nodes.forEach((node, i) => {
      const hit = query !== "" && (node.title.toLowerCase().includes(query) ||
        node.text.toLowerCase().includes(query));
      nodeElements[i].classList.toggle("match", hit);
      nodeElements[i].classList.toggle("dimmed", query !== "" && !hit);
      if (hit && !visible.has(i)) { visible.add(i); grew = true; }
    });
    if (grew) refresh(200); else draw();
  });
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const first = nodeElements.findIndex((element) => element.classList.contains("match"));
    if (first >= 0) select(first);
  });
  document.getElementById("show-all").addEventListener("click", () => {
    nodes.forEach((node, i) => visible.add(i));
    refresh(300);
  });
  document.getElementById("collapse").addEventListener("click", () => {
    startView();
    refresh(200);
  });

  let drag = null;
  svg.addEventListener("mousedown", (event) => { drag = [event.clientX - view.x, event.clientY - view.y]; });
  window.addEventListener("mouseup", () => { drag = null; });
  window.addEventListener("mousemove", (event) => {
    if (!drag) return;
    view.x = event.clientX - drag[0];
    view.y = event.clientY - drag[1];
    applyView();
  });
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const box = svg.getBoundingClientRect();
    const mx = event.clientX - box.left, my = event.clientY - box.top;
    const factor = event.deltaY < 0 ? 1.15 : 1 / 1.15;
    view.x = mx - (mx - view.x) * factor;
    view.y = my - (my - view.y) * factor;
    view.scale *= factor;
    applyView();
  }, { passive: false });

  // --- self-test: open the page as mindmap.html#selftest and read #selftest-result -------------
  // The tests (tests/notes/test_mindmap.py) run this in headless Chromium: it clicks nodes the
  // way a person would and writes what it saw into the page as JSON.
  function selftest() {
    const result = {
      nodes_in_page: document.querySelectorAll("#nodes g.node").length,
      notes: nodes.filter((node) => node.kind === "note").length,
      cards: nodes.filter((node) => node.kind === "card").length,
      edges: data.edges.length,
      visible_at_start: Array.from(visible).length,
    };
    // Click the first note that links somewhere (else the first node): its text shows in the
    // panel, and the concepts it links to appear.
    let first = nodes.findIndex((node, i) => node.kind === "note" && neighbours[i].length > 0);
    if (first < 0) first = 0;
    nodeElements[first].dispatchEvent(new MouseEvent("click", { bubbles: true }));
    result.clicked = nodes[first].title;
    result.clicked_text = nodes[first].text;
    result.panel_text = panel.textContent;
    result.visible_after_click = Array.from(visible).length;
    // Show every node once, so that every note's text goes through the renderer.
    let unsafe = 0;
    nodeElements.forEach((element) => {
      element.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      unsafe += panel.querySelectorAll("script, img, iframe, object, embed, svg, style, " +
        "[onerror], [onload], [onclick], a[href^='javascript']").length;
    });
    result.unsafe_elements = unsafe;
    setTimeout(() => {
      result.pwned = window.__pwned || null;
      const out = document.getElementById("selftest-result");
      out.textContent = JSON.stringify(result);
      out.hidden = false;
    }, 300);
  }

  build();
  startView();
  refresh(300);
  window.addEventListener("resize", () => { fit(); applyView(); });
  if (location.hash === "#selftest") selftest();
})();
