// The peer server of bench/peer.sh (not part of Lepton): a plain Node.js server on onnxruntime-node, the
// baseline lepton serve is measured against. Same model.onnx, two routes with Lepton's paths:
//   POST /v2/models/{name}/infer     Open Inference Protocol v2, JSON in and out (FP32 or UINT8 input)
//   POST /api/models/{name}/predict  a PNG body (pngjs): gray, area-averaged to the model's size,
//                                    inverted when the border is light, top 3 classes with probabilities
// It does what such a server usually does: JSON.parse the body, one session shared by every request,
// onnxruntime-node's default threads, JSON.stringify the answer. Binds 127.0.0.1.
//
//   node server.js <model.onnx> <port> [labels.json]
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const ort = require('onnxruntime-node');
const { PNG } = require('pngjs');

const [modelPath, portText, labelsPath] = process.argv.slice(2);
if (!modelPath || !portText) {
  console.error('usage: node server.js <model.onnx> <port> [labels.json]');
  process.exit(2);
}

const labels = labelsPath ? JSON.parse(fs.readFileSync(labelsPath, 'utf8')) : [];
const maxBody = 8 * 1024 * 1024;

function answer(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > maxBody) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function bad(message, status = 400) {
  return Object.assign(new Error(message), { status });
}

function softmax(logits) {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) { out[i] = Math.exp(logits[i] - max); sum += out[i]; }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

async function main() {
  const session = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'all' });
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  // Fashion-MNIST models: [N, 1, 28, 28] (the input metadata of onnxruntime-node 1.30 gives the shape).
  const meta = session.inputMetadata && session.inputMetadata[0];
  const dims = meta && meta.shape ? meta.shape.slice(1).map((d) => (typeof d === 'number' ? d : 1)) : [1, 28, 28];
  const [channels, height, width] = dims;
  const perImage = channels * height * width;

  async function infer(req, res, name) {
    const body = await readBody(req);
    let request;
    try { request = JSON.parse(body.toString('utf8')); } catch { throw bad('the body is not JSON'); }
    const input = request && Array.isArray(request.inputs) ? request.inputs[0] : null;
    if (!input || !Array.isArray(input.data) || !Array.isArray(input.shape)) throw bad('inputs[0] needs shape and data');
    const count = input.shape[0];
    if (!Number.isInteger(count) || count < 1 || input.data.length !== count * perImage) throw bad(`data must hold ${perImage} values per image`);
    const scale = input.datatype === 'UINT8' ? 1 / 255 : 1;
    const pixels = new Float32Array(input.data.length);
    for (let i = 0; i < pixels.length; i++) pixels[i] = input.data[i] * scale;
    const result = await session.run({ [inputName]: new ort.Tensor('float32', pixels, [count, channels, height, width]) });
    const logits = result[outputName];
    answer(res, 200, {
      model_name: name,
      model_version: '1',
      id: request.id,
      outputs: [{ name: outputName, datatype: 'FP32', shape: logits.dims, data: Array.from(logits.data) }],
    });
  }

  async function predict(req, res, name) {
    const body = await readBody(req);
    let png;
    try { png = PNG.sync.read(body); } catch { throw bad('the body is not a PNG'); }
    const { width: w, height: h, data } = png; // RGBA
    const gray = new Float32Array(w * h);
    for (let i = 0; i < gray.length; i++) gray[i] = (0.299 * data[i * 4] + 0.587 * data[i * 4 + 1] + 0.114 * data[i * 4 + 2]) / 255;
    let border = 0;
    for (let x = 0; x < w; x++) border += gray[x] + gray[(h - 1) * w + x];
    for (let y = 0; y < h; y++) border += gray[y * w] + gray[y * w + w - 1];
    const invert = border / (2 * (w + h)) > 0.5;
    const pixels = new Float32Array(perImage);
    for (let y = 0; y < height; y++) {
      const y0 = Math.floor((y * h) / height), y1 = Math.max(y0 + 1, Math.floor(((y + 1) * h) / height));
      for (let x = 0; x < width; x++) {
        const x0 = Math.floor((x * w) / width), x1 = Math.max(x0 + 1, Math.floor(((x + 1) * w) / width));
        let sum = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += gray[yy * w + xx];
        const v = sum / ((y1 - y0) * (x1 - x0));
        for (let c = 0; c < channels; c++) pixels[c * height * width + y * width + x] = invert ? 1 - v : v;
      }
    }
    const result = await session.run({ [inputName]: new ort.Tensor('float32', pixels, [1, channels, height, width]) });
    const probabilities = softmax(result[outputName].data);
    const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b] - probabilities[a]).slice(0, 3);
    const cls = (c) => ({ label: labels[c] ?? String(c), class: c, probability: probabilities[c] });
    answer(res, 200, { model: name, version: 1, predictions: [{ ...cls(order[0]), top: order.map(cls) }] });
  }

  const server = http.createServer(async (req, res) => {
    try {
      const path = req.url.split('?')[0];
      let m;
      if (req.method === 'POST' && (m = /^\/v2\/models\/([A-Za-z0-9_-]+)\/infer$/.exec(path))) {
        await infer(req, res, m[1]);
      } else if (req.method === 'POST' && (m = /^\/api\/models\/([A-Za-z0-9_-]+)\/predict$/.exec(path))) {
        await predict(req, res, m[1]);
      } else if (req.method === 'GET' && path === '/v2/health/live') {
        answer(res, 200, { live: true });
      } else {
        answer(res, 404, { error: 'no such route' });
      }
    } catch (err) {
      if (!res.headersSent) answer(res, err.status || 500, { error: err.status ? err.message : 'internal error' });
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(portText), '127.0.0.1', () => console.log(`peer: serving on http://127.0.0.1:${portText}`));
}

main().catch((err) => { console.error(err); process.exit(1); });
