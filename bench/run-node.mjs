// Node.js (V8) driver for one benchmark .wasm, same interface as
// `build/sfrun --time`:
//
//     node [V8 FLAGS] bench/run-node.mjs FILE.wasm N --type=i32|i64|f64
//          [--repeat=R] [--warmup=W]
//
// prints the checksum as TYPE:VALUE on stdout and, on stderr, "call time:
// SECONDS", the best of R calls of run(N) by the wall clock, "call cpu time:
// SECONDS", the best by the process's CPU time (all of V8's threads, though
// after the warm-up only the calling one has work), each timed around the
// call only, and "compile time: SECONDS", what new WebAssembly.Module took.
//
// W untimed warm-up calls (default 1) come first.  V8 has no on-stack
// replacement for wasm: a call running Liftoff code finishes in Liftoff code
// even after TurboFan has compiled the function, so without a warm-up the
// first sample of a one-loop kernel measures Liftoff, not TurboFan.  For a
// Liftoff-only run (--liftoff --no-wasm-tier-up --no-wasm-dynamic-tiering
// --no-wasm-lazy-compilation: everything compiled by Liftoff when the module
// is created, never again) the warm-up still faults in the memory the call
// touches, as the other engines' untimed first calls do in bench/run.
import { readFileSync } from 'node:fs';

function usage(msg) {
	process.stderr.write(`run-node: ${msg}\nusage: node run-node.mjs FILE.wasm N --type=i32|i64|f64 [--repeat=R] [--warmup=W]\n`);
	process.exit(1);
}

const [file, nArg, ...opts] = process.argv.slice(2);
if (!file || nArg === undefined)
	usage('missing arguments');
let type = null, repeat = 1, warmup = 1;
for (const o of opts) {
	if (o.startsWith('--type='))
		type = o.slice(7);
	else if (o.startsWith('--warmup='))
		warmup = Math.max(0, parseInt(o.slice(9), 10) || 0);
	else if (o.startsWith('--repeat='))
		repeat = Math.max(1, parseInt(o.slice(9), 10) || 1);
	else
		usage(`unknown option ${o}`);
}
if (!['i32', 'i64', 'f64'].includes(type))
	usage('--type must be i32, i64 or f64');

const n = parseInt(nArg, 10);
const bytes = readFileSync(file);
// Only a full compile under --no-wasm-lazy-compilation; lazily, this is
// little more than validation.
const c0 = process.hrtime.bigint();
const module = new WebAssembly.Module(bytes);
const compileTime = Number(process.hrtime.bigint() - c0) * 1e-9;
const instance = new WebAssembly.Instance(module, {});
const run = instance.exports.run;
if (typeof run !== 'function')
	usage(`${file} exports no function "run"`);

// Compare f64 checksums bit for bit, like the native driver does.
function key(v) {
	if (type !== 'f64')
		return String(v);
	const b = new DataView(new ArrayBuffer(8));
	b.setFloat64(0, v);
	return b.getBigUint64(0).toString(16);
}

let first, best = Infinity, bestCpu = Infinity;
for (let i = 0; i < warmup + repeat; i++) {
	const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
	const r = run(n);
	const t = Number(process.hrtime.bigint() - t0) * 1e-9, cu = process.cpuUsage(c0);
	const c = (cu.user + cu.system) * 1e-6;
	if (i === 0)
		first = r;
	else if (key(r) !== key(first)) {
		process.stderr.write(`run-node: call ${i + 1} returned a different checksum\n`);
		process.exit(1);
	}
	if (i >= warmup) {
		best = Math.min(best, t);
		bestCpu = Math.min(bestCpu, c);
	}
}
// %.17g-style output so bench/run compares the same text as natively.
const text = type === 'f64' ? Number(first).toPrecision(17) : String(first);
process.stdout.write(`${type}:${text}\n`);
process.stderr.write(`call time: ${best.toFixed(6)}\ncall cpu time: ${bestCpu.toFixed(6)}\n` +
	`compile time: ${compileTime.toFixed(6)}\n`);
