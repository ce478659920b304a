// The Lepton console: the registry, model cards, a try-it panel and pipeline runs, over the HTTP API of
// the host that serves this page. No framework, no build step. Everything the API returns is rendered
// as text nodes or attributes (never as HTML). The function key stays in memory (or, when asked, in
// this tab's sessionStorage) and is only ever sent as the x-functions-key header to this origin.
'use strict';
(() => {
  const host = document.querySelector('meta[name="lepton-host"]')?.content ?? 'serve';
  const $ = (id) => document.getElementById(id);
  const KEY_ITEM = 'lepton.key';
  const RUNS_ITEM = 'lepton.runs';
  const POLL_MS = 2000;

  let key = sessionStorage.getItem(KEY_ITEM);
  let currentModel = null;
  let rowsInput = null;
  let classCount = 10; // the shown version's labels: "top" asks for at most that many
  const runs = new Map(); // id -> last status (or null)
  let pollTimer = null;

  // ---- helpers -----------------------------------------------------------------------------------
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props ?? {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null) continue;
      e.append(c instanceof Node ? c : String(c)); // strings become text nodes
    }
    return e;
  }

  const fmt = (x, digits = 4) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');
  const pct = (x) => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '–');
  const seg = (s) => encodeURIComponent(String(s));

  function notice(message, ok = false) {
    const n = $('notice');
    n.textContent = message;
    n.classList.toggle('ok', ok);
    n.hidden = !message;
  }

  async function api(method, path, { body, contentType, accept, admin } = {}) {
    const headers = { Accept: accept ?? 'application/json' };
    if (contentType) headers['Content-Type'] = contentType;
    if (admin && key) headers['x-functions-key'] = key;
    let response;
    try {
      response = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
    } catch (e) {
      return { status: 0, error: `the server did not answer (${e.message})` };
    }
    const type = response.headers.get('Content-Type') ?? '';
    let json = null;
    if (type.includes('json')) {
      try { json = await response.json(); } catch { json = null; }
    }
    const error = response.ok ? null : (json && typeof json.error === 'string' ? json.error : `HTTP ${response.status}`);
    return { status: response.status, json, error };
  }

  function needsKey(result, what) {
    if (result.status === 401 || result.status === 403) {
      notice(`${what} needs the function key: ${result.error}`);
      $('key').focus();
      return true;
    }
    return false;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // ---- the function key --------------------------------------------------------------------------
  function showKeyState() {
    $('key-state').textContent = key ? (sessionStorage.getItem(KEY_ITEM) ? 'key set (this tab)' : 'key set (memory)') : 'no key';
  }
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('key').value.trim();
    key = value || null;
    $('key').value = '';
    if (key && $('key-keep').checked) sessionStorage.setItem(KEY_ITEM, key);
    else sessionStorage.removeItem(KEY_ITEM);
    showKeyState();
    loadRunList();
  });
  $('key-forget').addEventListener('click', () => {
    key = null;
    sessionStorage.removeItem(KEY_ITEM);
    showKeyState();
  });

  // ---- registry ----------------------------------------------------------------------------------
  function aliasTags(aliases, version) {
    const span = el('span');
    for (const [alias, v] of Object.entries(aliases ?? {})) {
      if (version === undefined || v === version) {
        span.append(el('span', { class: `tag ${alias === 'production' ? 'production' : ''}`, text: version === undefined ? `${alias} → ${v}` : alias }));
      }
    }
    return span;
  }

  async function loadModels() {
    const result = await api('GET', '/api/models');
    if (result.error) { notice(`registry: ${result.error}`); return; }
    const models = Array.isArray(result.json?.models) ? result.json.models : [];
    const body = $('models').tBodies[0];
    clear(body);
    for (const m of models) {
      const row = el('tr', { 'data-model': m.name, class: m.name === currentModel ? 'selected' : null },
        el('td', null, el('button', { class: 'link', text: m.name, onclick: () => selectModel(m.name) })),
        el('td', { class: 'num', text: m.versions }),
        el('td', { class: 'num', text: m.latestVersion }),
        el('td', null, m.error ? el('span', { class: 'failed', text: m.error }) : aliasTags(m.aliases)));
      body.append(row);
    }
    $('models-empty').hidden = models.length > 0;
    if (!currentModel && models.length > 0) await selectModel(models[0].name);
  }

  async function selectModel(name) {
    currentModel = name;
    for (const row of $('models').tBodies[0].rows) row.classList.toggle('selected', row.dataset.model === name);
    $('try-model').textContent = `(${name})`;
    const result = await api('GET', `/api/models/${seg(name)}`);
    if (result.error) { notice(`model ${name}: ${result.error}`); return; }
    const details = result.json;
    $('model-detail').hidden = false;
    $('model-title').textContent = name;
    const body = $('versions').tBodies[0];
    clear(body);
    const versions = Array.isArray(details.versions) ? [...details.versions].reverse() : [];
    for (const v of versions) {
      const metrics = v.metrics ?? {};
      body.append(el('tr', { 'data-version': v.version },
        el('td', { class: 'num', text: v.version }),
        el('td', { text: v.createdAt ? new Date(v.createdAt).toLocaleString() : '–' }),
        el('td', { text: v.architecture ?? '–' }),
        el('td', { text: v.kind ?? 'classifier' }),
        el('td', { class: 'num', text: fmt(metrics.accuracy) }),
        el('td', { class: 'num', text: fmt(metrics.macroF1) }),
        el('td', null, aliasTags(details.aliases, v.version)),
        el('td', null,
          el('button', { type: 'button', text: 'card', onclick: () => showCard(name, v.version) }), ' ',
          el('button', { type: 'button', text: 'promote', title: 'point production at this version', onclick: () => promote(name, v.version) }))));
    }
    const history = $('alias-history');
    clear(history);
    for (const change of (Array.isArray(details.aliasHistory) ? details.aliasHistory : []).slice().reverse()) {
      history.append(el('li', { text: `${change.at ? new Date(change.at).toLocaleString() : ''}: ${change.alias} → ${change.version}${change.previous ? ` (was ${change.previous})` : ''}` }));
    }
    if (history.childElementCount === 0) history.append(el('li', { text: 'no alias set yet' }));
    const shown = details.aliases?.production ?? versions[0]?.version;
    // The drawing and preview take the size of the model's input (its signature), 28x28 for older models.
    const input = versions.find((v) => v.version === shown)?.signature?.input;
    const image = input?.image?.shape;
    sizeInput(image?.width ?? 28, image?.height ?? 28);
    // Text and table models take a text box or a form of their columns; picture models a file or a drawing.
    rowsInput = input?.kind === 'text' || input?.kind === 'table' ? input : null;
    const labels = versions.find((v) => v.version === shown)?.signature?.output?.labels;
    classCount = Array.isArray(labels) && labels.length > 0 ? labels.length : 10;
    setUpRowsPanel(rowsInput);
    // Drawing suits small gray models (light strokes on dark); color and large models take pictures only.
    $('draw-panel').hidden = !!rowsInput || (image?.channels ?? 1) !== 1 || Math.max(image?.width ?? 28, image?.height ?? 28) > 64;
    if (shown !== undefined) await showCard(name, shown);
  }

  async function promote(name, version) {
    const result = await api('PUT', `/api/models/${seg(name)}/aliases/production`, {
      body: JSON.stringify({ version }), contentType: 'application/json', admin: true,
    });
    if (needsKey(result, 'promoting')) return;
    if (result.error) { notice(`promote ${name} ${version}: ${result.error}`); return; }
    notice(`${name}: production → version ${version}`, true);
    await loadModels();
    await selectModel(name);
  }

  // ---- model card --------------------------------------------------------------------------------
  function fact(dl, term, value) {
    if (value === undefined || value === null || value === '') return;
    dl.append(el('dt', { text: term }), el('dd', { text: typeof value === 'object' ? JSON.stringify(value) : value }));
  }

  async function showCard(name, version) {
    $('card-title').textContent = `${name} v${version}`;
    const result = await api('GET', `/api/models/${seg(name)}/versions/${seg(version)}/card`);
    const none = $('card-none');
    const body = $('card-body');
    if (result.status !== 200 || !result.json) {
      body.hidden = true;
      none.hidden = false;
      none.textContent = result.status === 404 ? `No card for ${name} version ${version}.` : `No card: ${result.error ?? 'not JSON'}`;
      return;
    }
    const card = result.json;
    none.hidden = true;
    body.hidden = false;
    const facts = $('card-facts');
    clear(facts);
    fact(facts, 'kind', card.kind);
    fact(facts, 'architecture', card.architecture);
    fact(facts, 'parameters', typeof card.parameters === 'number' ? card.parameters.toLocaleString() : card.parameters);
    fact(facts, 'dataset', card.dataset?.version);
    fact(facts, 'accuracy', card.metrics ? fmt(card.metrics.accuracy) : null);
    fact(facts, 'macro F1', card.metrics ? fmt(card.metrics.macroF1) : null);
    for (const [k, v] of Object.entries(card.training ?? {})) fact(facts, k, v);
    for (const [k, v] of Object.entries(card.quality ?? {})) fact(facts, k, typeof v === 'number' ? fmt(v) : v);
    const classes = $('card-classes').tBodies[0];
    clear(classes);
    const counts = card.dataset?.classCounts ?? {};
    for (const c of Array.isArray(card.metrics?.perClass) ? card.metrics.perClass : []) {
      classes.append(el('tr', null, el('td', { text: c.label }), el('td', { class: 'num', text: fmt(c.precision, 3) }),
        el('td', { class: 'num', text: fmt(c.recall, 3) }), el('td', { class: 'num', text: fmt(c.f1, 3) }),
        el('td', { class: 'num', text: c.support }), el('td', { class: 'num', text: counts[c.label] ?? '–' })));
    }
    $('card-classes').hidden = classes.childElementCount === 0;
    const importance = $('card-importance');
    const bars = importance.querySelector('ol');
    clear(bars);
    const columns = Array.isArray(card.columnImportance) ? card.columnImportance : [];
    const largest = Math.max(1e-6, ...columns.map((c) => Math.abs(Number(c.accuracyDrop) || 0)));
    for (const c of columns) {
      const fill = el('span');
      fill.style.width = `${Math.max(0, Number(c.accuracyDrop) || 0) / largest * 100}%`;
      bars.append(el('li', { 'data-column': c.column }, el('span', { text: c.column }), el('span', { class: 'bar' }, fill), el('span', { class: 'num', text: fmt(c.accuracyDrop) })));
    }
    importance.hidden = columns.length === 0;
    const mistakes = $('card-mistakes');
    const wrong = mistakes.querySelector('tbody');
    clear(wrong);
    for (const m of Array.isArray(card.mistakes) ? card.mistakes : []) {
      wrong.append(el('tr', null, el('td', { text: m.input }), el('td', { text: m.actual }), el('td', { text: m.predicted }), el('td', { class: 'num', text: pct(m.confidence) })));
    }
    mistakes.hidden = wrong.childElementCount === 0;
    const trials = $('card-trials').tBodies[0];
    clear(trials);
    for (const t of Array.isArray(card.sweep?.trials) ? card.sweep.trials : []) {
      const accuracies = Array.isArray(t.validationAccuracies) ? t.validationAccuracies.filter((a) => typeof a === 'number') : [];
      trials.append(el('tr', t.trial === card.sweep.bestTrial ? { class: 'best' } : null,
        el('td', { class: 'num', text: t.trial === card.sweep.bestTrial ? `${t.trial} (best)` : t.trial }), el('td', { text: t.settings }),
        el('td', { text: t.state }), el('td', { class: 'num', text: `${t.epochs}/${t.totalEpochs}` }),
        el('td', { class: 'num', text: accuracies.length ? fmt(accuracies[accuracies.length - 1]) : '–' })));
    }
    $('card-sweep').hidden = trials.childElementCount === 0;
    const images = $('card-images');
    clear(images);
    for (const [what, url] of Object.entries(card.images ?? {})) {
      // Only this server's card images: a relative path under the model's routes.
      if (typeof url !== 'string' || !url.startsWith('/api/models/')) continue;
      images.append(el('figure', { 'data-image': what }, el('img', { src: url, alt: `${what} of ${name} v${version}`, loading: 'lazy' }), el('figcaption', { text: what })));
    }
  }

  // ---- try it: text and table models -------------------------------------------------------------
  function setUpRowsPanel(input) {
    $('rows-panel').hidden = !input;
    $('drop').hidden = !!input;
    $('image-view').hidden = !!input;
    $('row-weights').hidden = true;
    const columns = $('table-input');
    clear(columns);
    $('text-input').hidden = input?.kind !== 'text';
    columns.hidden = input?.kind !== 'table';
    if (input?.kind === 'text') {
      $('rows-hint').textContent = `Type a text (up to ${input.text?.maxCharacters ?? 20000} characters):`;
    } else if (input?.kind === 'table') {
      $('rows-hint').textContent = 'Fill in a row (a blank is a missing value where training had some):';
      for (const c of Array.isArray(input.table?.columns) ? input.table.columns : []) {
        const field = c.type === 'category' && Array.isArray(c.categories)
          ? el('select', { name: c.name, 'data-column': c.name }, el('option', { value: '', text: '' }), ...c.categories.map((v) => el('option', { value: v, text: v })))
          : el('input', { name: c.name, 'data-column': c.name, type: 'number', step: 'any', placeholder: typeof c.mean === 'number' ? fmt(c.mean) : '' });
        columns.append(el('label', null, `${c.name} `, field));
      }
    }
  }

  function rowsBody() {
    if (rowsInput?.kind === 'text') return { [rowsInput.text?.field ?? 'text']: $('text-input').value };
    const row = {};
    for (const field of $('table-input').querySelectorAll('[data-column]')) {
      const value = field.value.trim();
      if (value === '') continue;
      row[field.dataset.column] = field.tagName === 'INPUT' ? Number(value) : value;
    }
    return { instances: [row] };
  }

  $('rows-panel').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!currentModel) return;
    const name = currentModel;
    const body = JSON.stringify(rowsBody());
    const result = await api('POST', `/api/models/${seg(name)}/predict?top=${Math.min(5, classCount)}`, { body, contentType: 'application/json' });
    const top = $('top');
    clear(top);
    $('row-weights').hidden = true;
    if (result.error) { $('prediction').textContent = ''; notice(`predict: ${result.error}`); return; }
    notice('');
    showPrediction(result.json?.predictions?.[0]);
    const explained = await api('POST', `/api/models/${seg(name)}/explain`, { body, contentType: 'application/json' });
    const weights = $('row-weights');
    clear(weights);
    if (explained.status !== 200) return;
    const list = Array.isArray(explained.json?.tokens) ? explained.json.tokens : Array.isArray(explained.json?.columns) ? explained.json.columns : [];
    const most = Math.max(1e-6, ...list.map((w) => Math.abs(Number(w.weight) || 0)));
    weights.append(el('p', { class: 'muted', text: `Why "${explained.json.label}" (${explained.json.method}): red pushed towards it, blue away.` }));
    for (const w of list) {
      const v = Number(w.weight) || 0;
      const span = el('span', { class: 'weight', title: `${v >= 0 ? '+' : ''}${v.toFixed(4)}`, text: w.token ?? `${w.column}=${w.value ?? '∅'}` });
      span.style.background = v >= 0 ? `rgba(220,40,40,${Math.abs(v) / most})` : `rgba(40,90,220,${Math.abs(v) / most})`;
      weights.append(span, ' ');
    }
    weights.hidden = false;
  });

  function showPrediction(p) {
    const top = $('top');
    clear(top);
    $('prediction').textContent = p ? `${p.label} (${pct(p.probability)})` : '–';
    for (const t of Array.isArray(p?.top) ? p.top : []) {
      const fill = el('span');
      fill.style.width = `${Math.max(0, Math.min(1, Number(t.probability) || 0)) * 100}%`;
      top.append(el('li', null, el('span', { text: t.label }), el('span', { class: 'bar' }, fill), el('span', { class: 'num', text: pct(t.probability) })));
    }
  }

  // ---- try it ------------------------------------------------------------------------------------
  const draw = $('draw');
  const drawContext = draw.getContext('2d');
  function clearDrawing() {
    drawContext.fillStyle = '#000';
    drawContext.fillRect(0, 0, draw.width, draw.height);
  }
  clearDrawing();
  function sizeInput(width, height) {
    for (const id of ['draw', 'input-view', 'heatmap']) {
      const canvas = $(id);
      canvas.width = width;
      canvas.height = height;
    }
    draw.setAttribute('aria-label', `${width} by ${height} drawing canvas`);
    clearDrawing();
  }
  let drawing = false;
  function stroke(e) {
    const box = draw.getBoundingClientRect();
    const x = ((e.clientX - box.left) / box.width) * draw.width;
    const y = ((e.clientY - box.top) / box.height) * draw.height;
    drawContext.fillStyle = '#fff';
    drawContext.beginPath();
    drawContext.arc(x, y, 1.4 * (draw.width / 28), 0, Math.PI * 2);
    drawContext.fill();
  }
  draw.addEventListener('pointerdown', (e) => { drawing = true; draw.setPointerCapture(e.pointerId); stroke(e); });
  draw.addEventListener('pointermove', (e) => { if (drawing) stroke(e); });
  draw.addEventListener('pointerup', () => { drawing = false; });
  $('draw-clear').addEventListener('click', clearDrawing);
  $('draw-predict').addEventListener('click', () => {
    draw.toBlob((blob) => { if (blob) predict(blob); }, 'image/png');
  });

  $('file').addEventListener('change', () => {
    const file = $('file').files?.[0];
    if (file) predict(file);
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files?.[0];
    if (file) predict(file);
  });

  async function preview(blob) {
    const view = $('input-view').getContext('2d');
    view.fillStyle = '#000';
    const { width, height } = view.canvas;
    view.fillRect(0, 0, width, height);
    try {
      const bitmap = await createImageBitmap(blob);
      view.imageSmoothingEnabled = true;
      view.drawImage(bitmap, 0, 0, width, height);
      bitmap.close();
    } catch {
      // not decodable here: the server says why
    }
  }

  async function predict(blob) {
    if (!currentModel) { notice('no model to try: publish one first'); return; }
    const type = blob.type === 'image/jpeg' ? 'image/jpeg' : 'image/png';
    $('heatmap').hidden = true;
    $('explain-note').hidden = true;
    await preview(blob);
    const name = currentModel;
    const result = await api('POST', `/api/models/${seg(name)}/predict?top=${Math.min(5, classCount)}`, { body: blob, contentType: type });
    const top = $('top');
    clear(top);
    if (result.error) { $('prediction').textContent = ''; notice(`predict: ${result.error}`); return; }
    notice('');
    showPrediction(result.json?.predictions?.[0]);
    await explain(name, blob, type);
  }

  async function explain(name, blob, type) {
    const result = await api('POST', `/api/models/${seg(name)}/explain`, { body: blob, contentType: type });
    const note = $('explain-note');
    const heat = $('heatmap');
    const map = result.json?.heatmap;
    if (result.status !== 200 || !Array.isArray(map) || map.length === 0) {
      heat.hidden = true;
      note.hidden = false;
      note.textContent = result.status === 404 ? 'Saliency: not available on this server.' : `Saliency: ${result.error ?? 'no heatmap'}`;
      return;
    }
    const rows = map.length;
    const cols = Array.isArray(map[0]) ? map[0].length : 0;
    heat.width = cols;
    heat.height = rows;
    const context = heat.getContext('2d');
    const image = context.createImageData(cols, rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = Math.max(0, Math.min(1, Number(map[r]?.[c]) || 0));
        const i = (r * cols + c) * 4;
        image.data[i] = 255;
        image.data[i + 1] = Math.round(200 * (1 - v));
        image.data[i + 2] = 0;
        image.data[i + 3] = Math.round(255 * v);
      }
    }
    context.putImageData(image, 0, 0);
    heat.hidden = false;
    note.hidden = false;
    note.textContent = `Saliency for "${result.json.label}" (occlusion patch ${result.json.patch ?? '?'}, stride ${result.json.stride ?? '?'}).`;
  }

  // ---- pipeline runs -----------------------------------------------------------------------------
  function saveRuns() { sessionStorage.setItem(RUNS_ITEM, JSON.stringify([...runs.keys()])); }

  const createdTime = (s) => Date.parse(s?.createdAt ?? '') || Infinity; // a run just asked for (no status yet) first

  function renderRuns() {
    const body = $('run-list').tBodies[0];
    clear(body);
    for (const [id, s] of [...runs].sort((a, b) => createdTime(b[1]) - createdTime(a[1]))) {
      const p = s?.progress ?? {};
      const bar = el('span', { class: 'bar progress' }, el('span'));
      if (p.totalEpochs > 0) bar.firstChild.style.width = `${Math.min(100, (100 * (p.epoch ?? 0)) / p.totalEpochs)}%`;
      const result = s?.result
        ? `${s.result.outcome ?? ''}${s.result.version ? ` v${s.result.version}` : ''}${typeof s.result.accuracy === 'number' ? `, accuracy ${fmt(s.result.accuracy)}` : ''}${s.result.promoted ? ', promoted' : ''}`
        : (s?.failure ?? s?.error ?? '');
      body.append(el('tr', { 'data-run': id },
        el('td', { text: id }),
        el('td', { text: s?.createdAt ? new Date(s.createdAt).toLocaleString() : '' }),
        el('td', { class: s?.status === 'Failed' ? 'failed' : s?.status === 'Completed' ? 'ok' : null, text: s?.status ?? '…' }),
        el('td', { title: Array.isArray(p.trials) ? p.trials.map((t) => `trial ${t.trial} (${t.settings}): ${t.state}, epoch ${t.epoch}/${t.totalEpochs}`).join('\n') : null },
          p.stage ?? '', Array.isArray(p.trials) ? ` (sweep: ${sweepCounts(p.trials)}${p.bestTrial ? `, best trial ${p.bestTrial}` : ''})` : ''),
        el('td', null, p.totalEpochs ? `${p.epoch ?? 0}/${p.totalEpochs} ` : '', p.totalEpochs ? bar : null),
        el('td', { class: 'num', text: fmt(p.validationAccuracy) }),
        el('td', { class: s?.failure ? 'failed' : null, text: result })));
    }
  }

  // A sweep's trials by state: "2 running, 3 succeeded, 1 stopped".
  function sweepCounts(trials) {
    const counts = {};
    for (const t of trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(', ');
  }

  const finished = (s) => s && ['Completed', 'Failed', 'Terminated'].includes(s.status);

  async function pollRuns() {
    clearTimeout(pollTimer);
    for (const [id, s] of runs) {
      if (finished(s)) continue;
      const result = await api('GET', `/api/pipelines/${seg(id)}`, { admin: true });
      if (result.status === 401 || result.status === 403) runs.set(id, { error: 'needs the function key' });
      else if (result.error) runs.set(id, { error: result.error, status: result.status === 404 ? 'Unknown' : undefined });
      else runs.set(id, result.json);
    }
    renderRuns();
    if ([...runs.values()].some((s) => !finished(s) && !(s && s.status === 'Unknown'))) pollTimer = setTimeout(pollRuns, POLL_MS);
  }

  // The newest runs, uploads' included (GET /api/pipelines needs the function key), then the watched
  // and listed ones shown and the unfinished ones polled, whether or not the list could be had.
  async function loadRunList() {
    if (host !== 'functions') return;
    const hint = $('runs-hint');
    const show = (text) => { hint.textContent = text; hint.hidden = !text; };
    const result = key ? await api('GET', '/api/pipelines?top=20', { admin: true }) : null;
    if (!result) show('Set the function key above to list the recent runs (uploads start runs too), or watch a run by its id.');
    else if (result.status === 401 || result.status === 403) show(`Listing the runs needs the function key: ${result.error}`);
    else if (result.error || !Array.isArray(result.json?.runs)) show(`Listing the runs: ${result.error ?? 'an unexpected answer'}`);
    else {
      show('');
      for (const run of result.json.runs) if (typeof run?.id === 'string') runs.set(run.id, run);
    }
    renderRuns();
    pollRuns();
  }

  function watch(id) {
    if (!runs.has(id)) runs.set(id, null);
    saveRuns();
    renderRuns();
    pollRuns();
  }

  function setUpRuns() {
    if (host !== 'functions') {
      $('runs-body').hidden = true;
      const note = $('runs-unavailable');
      note.hidden = false;
      note.textContent = 'This host (lepton serve) has no pipeline routes: run `lepton pipeline run` here, or open this console on the Functions app to start and follow runs.';
      return;
    }
    try {
      for (const id of JSON.parse(sessionStorage.getItem(RUNS_ITEM) ?? '[]')) if (typeof id === 'string') runs.set(id, null);
    } catch { sessionStorage.removeItem(RUNS_ITEM); }
    $('run-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const form = new FormData(e.target);
      const request = {
        modelName: String(form.get('modelName')).trim(),
        dataset: String(form.get('dataset')).trim(),
        architecture: String(form.get('architecture') || 'cnn').trim(),
        epochs: Number(form.get('epochs')) || 5,
      };
      const result = await api('POST', '/api/pipelines', { body: JSON.stringify(request), contentType: 'application/json', admin: true });
      if (needsKey(result, 'starting a run')) return;
      if (result.error) { notice(`start a run: ${result.error}`); return; }
      notice(`run ${result.json.id} ${result.json.started ? 'started' : 'already ran'}`, true);
      watch(result.json.id);
    });
    $('watch-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const id = String(new FormData(e.target).get('id')).trim();
      if (id) watch(id);
    });
    loadRunList();
  }

  // ---- start -------------------------------------------------------------------------------------
  $('host').textContent = host === 'functions' ? 'Azure Functions app' : 'lepton serve';
  showKeyState();
  setUpRuns();
  loadModels().then(() => document.body.setAttribute('data-ready', 'true'));
  setInterval(() => { loadModels(); loadRunList(); }, 15000);
})();
