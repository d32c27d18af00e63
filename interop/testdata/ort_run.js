// Test driver for interop's Go tests: runs an ONNX model with ONNX Runtime
// (npm's onnxruntime-node, CPU) on a raw little-endian float32 input.
//
//   node ort_run.js MODEL INPUT.f32 N C H W OUTDIR
//
// Writes OUTDIR/<output name>.f32 for every output and prints
// {"<output name>": [dims...], ...} as JSON.
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
  const [model, input, n, c, h, w, outDir] = process.argv.slice(2);
  const dims = [n, c, h, w].map(Number);
  const buf = fs.readFileSync(input);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  const results = await session.run(feeds);
  const shapes = {};
  for (const name of session.outputNames) {
    const t = results[name];
    fs.writeFileSync(path.join(outDir, name + '.f32'), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    shapes[name] = t.dims;
  }
  console.log(JSON.stringify(shapes));
}

main().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
