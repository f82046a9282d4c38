// ref.mjs -- the reference side of make difftest: run a module's exports in
// Node.js (V8) and print the same transcript as build/sfdiff (see the
// comment at the top of engine/tools/sfdiff.c for the format).
//
//   node engine/tests/difftest/ref.mjs FILE.wasm
//   node engine/tests/difftest/ref.mjs --batch FILE.wasm...
//
// One file: the transcript on stdout; exit 3 for an import it does not
// provide, non-zero when V8 rejects the module.  --batch runs each file in
// turn in this one process (Node.js takes ~0.2 s to start, far more than a
// module's calls) and writes FILE.v8.txt when the run would have exited 0,
// else FILE.v8.skip with the reason; a file with neither was not reached
// (this process died or was stopped on it or before it).
import { readFileSync, writeFileSync, renameSync } from 'node:fs';

let out = [];
const print = (s) => out.push(s);
const scratch = new DataView(new ArrayBuffer(8));

function f32(x) {
	if (Number.isNaN(x)) return 'f32:nan';
	scratch.setFloat32(0, x);
	return 'f32:0x' + scratch.getUint32(0).toString(16).padStart(8, '0');
}

function f64(x) {
	if (Number.isNaN(x)) return 'f64:nan';
	scratch.setFloat64(0, x);
	return 'f64:0x' + scratch.getBigUint64(0).toString(16).padStart(16, '0');
}

function val(type, v) {
	switch (type) {
		case 'i32': return 'i32:' + (v | 0);
		case 'i64': return 'i64:' + BigInt.asIntN(64, v).toString();
		case 'f32': return f32(v);
		case 'f64': return f64(v);
		case 'funcref': return 'funcref:' + (v === null ? 'null' : 'func');
		case 'externref': return 'externref:' + (v === null ? 'null' : 'nonnull');
		default: return '?:' + type;
	}
}

// V8's trap messages -> the classes build/sfdiff prints.
function trapClass(e) {
	const m = String(e && e.message);
	const classes = [
		[/unreachable/, 'unreachable'],
		[/divide by zero|remainder by zero/, 'div0'],
		[/divide result unrepresentable|float unrepresentable/, 'overflow'],
		[/memory access out of bounds|data segment/, 'memory'],
		[/table index is out of bounds|table access|element segment|table.*out of bounds/, 'table'],
		[/null function|signature mismatch/, 'indirect'],
		[/Maximum call stack/, 'stack'],
	];
	for (const [re, name] of classes)
		if (re.test(m)) return name;
	return 'other: ' + m;
}

// Value types of a function from the module's type section, which the JS
// API does not expose: parse just enough of the binary.
function functionTypes(bytes) {
	let p = 8;
	const u32 = () => {
		let r = 0, shift = 0, b;
		do { b = bytes[p++]; r |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
		return r >>> 0;
	};
	const vt = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x70: 'funcref', 0x6f: 'externref' };
	const types = [], funcs = [], globals = [];
	const expr = () => {  // skip a constant expression
		for (;;) {
			const op = bytes[p++];
			if (op === 0x0b) return;
			if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd2) u32();
			else if (op === 0x43) p += 4;
			else if (op === 0x44) p += 8;
			else if (op === 0xd0) p++;
		}
	};
	while (p < bytes.length) {
		const id = bytes[p++], size = u32(), end = p + size;
		if (id === 1) {
			for (let n = u32(); n > 0; n--) {
				p++;
				const params = []; for (let k = u32(); k > 0; k--) params.push(vt[bytes[p++]]);
				const results = []; for (let k = u32(); k > 0; k--) results.push(vt[bytes[p++]]);
				types.push({ params, results });
			}
		} else if (id === 2) {
			for (let n = u32(); n > 0; n--) {
				for (let k = 0; k < 2; k++) { const len = u32(); p += len; }  // module, name
				const kind = bytes[p++];
				if (kind === 0) funcs.push(types[u32()]);
				else if (kind === 1) { p++; const f = bytes[p++]; u32(); if (f & 1) u32(); }
				else if (kind === 2) { const f = bytes[p++]; u32(); if (f & 1) u32(); }
				else { globals.push(vt[bytes[p]]); p += 2; }
			}
		} else if (id === 3) {
			for (let n = u32(); n > 0; n--) funcs.push(types[u32()]);
		} else if (id === 6) {
			for (let n = u32(); n > 0; n--) { globals.push(vt[bytes[p]]); p += 2; expr(); }
		} else if (id === 7) {
			const exps = new Map();
			for (let n = u32(); n > 0; n--) {
				const len = u32(), name = Buffer.from(bytes.subarray(p, p + len)).toString('utf8');
				p += len;
				const kind = bytes[p++], idx = u32();
				if (kind === 0) exps.set(name, funcs[idx]);
				if (kind === 3) exps.set(name, globals[idx]);
			}
			return exps;
		}
		p = end;
	}
	return new Map();
}

// Argument k of call 'set', as build/sfdiff's set_arg picks it.
const i32s = [0, -1, 0x7fffffff, -2147483648, 1, 7, 255, 65536];
const i64s = [0n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, 1n, 4294967296n, -129n, 65535n];
const f32s = [0, 0x80000000, 0x3fc00000, 0xf149f2ca, 0x7f800000, 0xff800000, 0x4f000000, 1];
const f64s = [0n, 0x8000000000000000n, 0x3ff8000000000000n, 0xc415af1d78b58c40n,
	0x7ff0000000000000n, 0xfff0000000000000n, 0x41e0000000000000n, 1n];
function arg(type, k, set) {
	const j = set === 0 ? 0 : set === 3 ? 5 : (set * 3 + k) % 8;
	switch (type) {
		case 'i32': return i32s[j];
		case 'i64': return i64s[j];
		case 'f32': scratch.setUint32(0, f32s[j]); return scratch.getFloat32(0);
		case 'f64': scratch.setBigUint64(0, f64s[j]); return scratch.getFloat64(0);
		default: return null;
	}
}
const NSETS = 5;

function fnv1a(u8) {
	let h = 2166136261;
	for (let i = 0; i < u8.length; i++) h = Math.imul(h ^ u8[i], 16777619) >>> 0;
	return h.toString(16).padStart(8, '0');
}

// The memory's hash, not recomputed while its bytes stay the same (most
// calls change nothing): comparing with a copy is memcmp, hashing is a
// JS loop over every byte.
let memCopy = null, memHash = '';
function memoryHash(buffer) {
	const now = Buffer.from(buffer);
	if (memCopy === null || !memCopy.equals(now)) {
		memHash = fnv1a(new Uint8Array(buffer));
		memCopy = Buffer.from(now);
	}
	return memHash;
}

class Skip extends Error {
	constructor(code, text) { super(text); this.code = code; }
}

// The transcript of one module; throws Skip (or V8's error) when the
// single-file run would not exit 0.
function runModule(file) {
	out = [];
	memCopy = null;
	const bytes = new Uint8Array(readFileSync(file));
	const sigs = functionTypes(bytes);
	const mod = new WebAssembly.Module(bytes);
	const imports = {};
	for (const imp of WebAssembly.Module.imports(mod)) {
		const m = /^log-(i32|i64|f32|f64)$/.exec(imp.name);
		if (imp.module !== 'fuzzing-support' || imp.kind !== 'function' || !m)
			throw new Skip(3, `unsupported import ${imp.module} ${imp.name}`);
		(imports[imp.module] ??= {})[imp.name] = (x) => { print('log ' + val(m[1], x)); };
	}
	let inst;
	try {
		inst = new WebAssembly.Instance(mod, imports);
	} catch (e) {
		print('instantiate ' + trapClass(e));
		return out.join('\n');
	}
	const ex = inst.exports;
	const mem = Object.values(ex).find((v) => v instanceof WebAssembly.Memory);
	for (const d of WebAssembly.Module.exports(mod)) {
		if (d.kind !== 'function' || d.name === 'hangLimitInitializer') continue;
		const sig = sigs.get(d.name);
		for (let set = 0; set < NSETS && (set === 0 || sig.params.length > 0); set++) {
			if (ex.hangLimitInitializer) ex.hangLimitInitializer();
			print(`call ${d.name} ${set}`);
			try {
				let r = ex[d.name](...sig.params.map((t, k) => arg(t, k, set)));
				if (sig.results.length === 1) r = [r];
				else if (sig.results.length === 0) r = [];
				print('result' + sig.results.map((t, i) => ' ' + val(t, r[i])).join(''));
			} catch (e) {
				print('trap ' + trapClass(e));
			}
			if (mem) print(`memory ${mem.buffer.byteLength / 65536} ${memoryHash(mem.buffer)}`);
		}
	}
	for (const d of WebAssembly.Module.exports(mod)) {
		if (d.kind !== 'global') continue;
		print(`global ${d.name} ${val(sigs.get(d.name), ex[d.name].value)}`);
	}
	return out.join('\n');
}

if (process.argv[2] === '--batch') {
	for (const file of process.argv.slice(3)) {
		let text, ok = true;
		try {
			text = runModule(file) + '\n';
		} catch (e) {
			ok = false;
			text = (e instanceof Skip ? `exit ${e.code}: ` : 'error: ') + String(e && e.message) + '\n';
		}
		// written whole, then renamed: a file that exists is complete
		const dst = file + (ok ? '.v8.txt' : '.v8.skip');
		writeFileSync(dst + '.part', text);
		renameSync(dst + '.part', dst);
	}
} else {
	try {
		console.log(runModule(process.argv[2]));
	} catch (e) {
		if (!(e instanceof Skip)) throw e;
		console.log(e.message);
		process.exit(e.code);
	}
}
