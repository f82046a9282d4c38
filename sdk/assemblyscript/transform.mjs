// slackfuel's asc transform: plain AssemblyScript functions become
// canonical-ABI exports (docs/sdk.md).
//
//   asc f.ts --transform ./build/npm/node_modules/slackfuel/transform.mjs ...
//
// For every `export function` of an entry file whose signature uses a
// string, a Uint8Array, an array, a nullable of those or a `Box<T> | null`
// (a number that may be NULL), the function
// stays as written but is no longer exported; a generated wrapper is
// exported under its name instead.  The wrapper takes the flattened core
// values (strings and lists as (ptr, len), options as a case and the
// value), turns them into managed values with the SDK's helpers (which
// free the host's buffers), calls the function, and returns a string or
// list result through the return area that cabi_post_<name> frees.
// Functions over numbers only are canonical already and stay as they are.
// The transform also exports cabi_realloc when a wrapper needs it and the
// file does not export it itself.
//
// The transform is plain JavaScript with no imports: asc hands it the
// parser, whose own constructor parses the generated code.

const NODE_FUNCTION_DECLARATION = 55; // NodeKind.FunctionDeclaration
const FLAG_EXPORT = 2; // CommonFlags.Export
const FLAG_DECLARE = 4; // CommonFlags.Declare
const SOURCE_USER_ENTRY = 1; // SourceKind.UserEntry
const MAX_FLAT_PARAMS = 16;

// Number types: passed as they are; their size and alignment in memory.
const NUMBERS = {
  bool: 1, i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, isize: 4, usize: 4,
  f32: 4, i64: 8, u64: 8, f64: 8,
};

const SUPPORTED = "numbers (bool, i16, i32, i64, f32, f64, u32), string, Uint8Array, " +
  "arrays of those (T[] or Array<T>), and `string | null`, `Uint8Array | null`, `T[] | null`, " +
  "`Box<T> | null` for a number T";

class TypeError_ extends Error {}

// Ends the build with 'message' (asc prints an error's stack: just it).
function fail(message) {
  const e = new Error("slackfuel transform: " + message);
  e.stack = e.message;
  throw e;
}

// The kind of a type written as 'text': { kind, type, elem }.
function classify(text) {
  const t = text.replace(/\s+/g, "");
  let m;
  if ((m = /^(.+)\|null$/.exec(t)) || (m = /^null\|(.+)$/.exec(t))) {
    const inner = classify(m[1]);
    if (inner.kind === "num")
      throw new TypeError_(`${text} is not supported: a number cannot be null in AssemblyScript ` +
                           `(write Box<${inner.type}> | null)`);
    if (inner.kind === "option" || inner.kind === "void" || inner.kind === "box")
      throw new TypeError_(`${text} is not supported`);
    if (inner.kind === "boxed")
      return { kind: "optnum", type: inner.type };
    return { kind: "option", inner };
  }
  if (t === "void") return { kind: "void" };
  if (Object.prototype.hasOwnProperty.call(NUMBERS, t)) return { kind: "num", type: t };
  if (t === "") throw new TypeError_("its type must be written out");
  if (t === "string" || t === "String") return { kind: "string" };
  if (t === "Uint8Array") return { kind: "bytes" };
  if ((m = /^Box<(.+)>$/.exec(t))) {
    const inner = classify(m[1]);
    if (inner.kind !== "num")
      throw new TypeError_(`${text} is not supported: Box holds a number`);
    // Only as `Box<T> | null`, an option<T>.
    return { kind: "boxed", type: inner.type };
  }
  if ((m = /^(.+)\[\]$/.exec(t)) || (m = /^Array<(.+)>$/.exec(t))) {
    const elem = classify(m[1]);
    if (elem.kind === "num") return { kind: "listnum", elem: elem.type };
    if (elem.kind === "string") return { kind: "liststring" };
    if (elem.kind === "bytes") return { kind: "listbytes" };
    throw new TypeError_(`${text} is not supported as a list element`);
  }
  throw new TypeError_(`${text} has no SQL mapping`);
}

function flatCount(k) {
  if (k.kind === "num") return 1;
  if (k.kind === "optnum") return 2;
  if (k.kind === "option") return 3;
  return 2;
}

function sizeAlign(k) {
  if (k.kind === "num") return [NUMBERS[k.type], NUMBERS[k.type]];
  if (k.kind === "optnum") return [2 * NUMBERS[k.type], NUMBERS[k.type]];
  if (k.kind === "option") return [12, 4];
  return [8, 4];
}

// The expression turning a (ptr, len) pair into the managed value of 'k'.
function lift(k, ptr, len) {
  switch (k.kind) {
    case "string": return `__sf_argString(${ptr}, ${len})`;
    case "bytes": return `__sf_argBytes(${ptr}, ${len})`;
    case "listnum": return `__sf_argList<${k.elem}>(${ptr}, ${len})`;
    case "liststring": return `__sf_argStrings(${ptr}, ${len})`;
    case "listbytes": return `__sf_argBytesList(${ptr}, ${len})`;
  }
  throw new Error("slackfuel transform: no lift for " + k.kind);
}

// The managed type of 'k' as AssemblyScript spells it.
function asType(k) {
  switch (k.kind) {
    case "num": return k.type;
    case "string": return "string";
    case "bytes": return "Uint8Array";
    case "listnum": return `Array<${k.elem}>`;
    case "liststring": return "Array<string>";
    case "listbytes": return "Array<Uint8Array>";
    case "option": return asType(k.inner) + " | null";
    case "optnum": return `Box<${k.type}> | null`;
  }
  throw new Error("slackfuel transform: no type for " + k.kind);
}

// The call returning a (ptr, len) result of 'k' through the return area.
function lower(k, value) {
  switch (k.kind) {
    case "string": return `__sf_retString(${value})`;
    case "bytes": return `__sf_retBytes(${value})`;
    case "listnum": return `__sf_retList<${k.elem}>(${value})`;
    case "liststring": return `__sf_retStrings(${value})`;
    case "listbytes": return `__sf_retBytesList(${value})`;
  }
  throw new Error("slackfuel transform: no lower for " + k.kind);
}

const HELPERS = [
  "argString as __sf_argString", "argBytes as __sf_argBytes",
  "retString as __sf_retString", "retBytes as __sf_retBytes",
  "__sf_argList", "__sf_argStrings", "__sf_argBytesList",
  "__sf_retList", "__sf_retStrings", "__sf_retBytesList",
  "__sf_retSome", "__sf_retNone", "__sf_freeArgs",
  "Box as __sf_Box", "__sf_retSomeNum", "__sf_retNoneNum",
];

// The wrapper of function 'name' with parameters [{name, kind}] and
// result kind 'ret'.
function wrapper(name, params, ret) {
  const w = `__sf_export_${name}`;
  const body = [];
  const flat = params.reduce((n, p) => n + flatCount(p.kind), 0);
  const core = [];
  const args = [];
  if (flat <= MAX_FLAT_PARAMS) {
    params.forEach((p, i) => {
      const k = p.kind;
      if (k.kind === "num") {
        core.push(`a${i}: ${k.type}`);
        args.push(`a${i}`);
      } else if (k.kind === "optnum") {
        core.push(`a${i}d: i32`, `a${i}v: ${k.type}`);
        body.push(`let v${i}: __sf_Box<${k.type}> | null = null;`,
                  `if (a${i}d != 0) v${i} = new __sf_Box<${k.type}>(a${i}v);`);
        args.push(`v${i}`);
      } else if (k.kind === "option") {
        core.push(`a${i}d: i32`, `a${i}p: usize`, `a${i}l: usize`);
        body.push(`let v${i}: ${asType(k)} = null;`,
                  `if (a${i}d != 0) v${i} = ${lift(k.inner, `a${i}p`, `a${i}l`)};`);
        args.push(`v${i}`);
      } else {
        core.push(`a${i}p: usize`, `a${i}l: usize`);
        body.push(`const v${i} = ${lift(k, `a${i}p`, `a${i}l`)};`);
        args.push(`v${i}`);
      }
    });
  } else {
    // One pointer to the arguments laid out as a tuple.
    core.push("args: usize");
    let off = 0;
    params.forEach((p, i) => {
      const k = p.kind;
      const [size, align] = sizeAlign(k);
      off = Math.ceil(off / align) * align;
      if (k.kind === "num") {
        body.push(`const v${i} = load<${k.type}>(args, ${off});`);
      } else if (k.kind === "optnum") {
        body.push(`let v${i}: __sf_Box<${k.type}> | null = null;`,
                  `if (load<u8>(args, ${off}) != 0) ` +
                  `v${i} = new __sf_Box<${k.type}>(load<${k.type}>(args, ${off + NUMBERS[k.type]}));`);
      } else if (k.kind === "option") {
        body.push(`let v${i}: ${asType(k)} = null;`,
                  `if (load<u8>(args, ${off}) != 0) v${i} = ` +
                  lift(k.inner, `<usize>load<u32>(args, ${off + 4})`, `<usize>load<u32>(args, ${off + 8})`) + ";");
      } else {
        body.push(`const v${i} = ` +
                  lift(k, `<usize>load<u32>(args, ${off})`, `<usize>load<u32>(args, ${off + 4})`) + ";");
      }
      args.push(`v${i}`);
      off += size;
    });
    body.push("__sf_freeArgs(args);");
  }
  const call = `${name}(${args.join(", ")})`;
  let result;
  let memoryResult = false;
  if (ret.kind === "void") {
    result = "void";
    body.push(`${call};`);
  } else if (ret.kind === "num") {
    result = ret.type;
    body.push(`return ${call};`);
  } else if (ret.kind === "optnum") {
    result = "usize";
    body.push(`const r = ${call};`,
              `if (r === null) return __sf_retNoneNum<${ret.type}>();`,
              `return __sf_retSomeNum<${ret.type}>(changetype<__sf_Box<${ret.type}>>(r).value);`);
  } else if (ret.kind === "option") {
    result = "usize";
    memoryResult = true;
    body.push(`const r = ${call};`,
              "if (r === null) return __sf_retNone();",
              `return __sf_retSome(${lower(ret.inner, `changetype<${asType(ret.inner)}>(r)`)});`);
  } else {
    result = "usize";
    memoryResult = true;
    body.push(`return ${lower(ret, call)};`);
  }
  const text = [
    `function ${w}(${core.join(", ")}): ${result} {`,
    ...body.map((l) => "  " + l),
    "}",
    `export { ${w} as ${name} };`,
  ];
  if (memoryResult)
    text.push(`export { cabi_post as cabi_post_${name} } from "slackfuel";`);
  return text.join("\n");
}

export default class SlackfuelTransform {
  afterParse(parser) {
    const entries = parser.sources.filter((s) => s.sourceKind === SOURCE_USER_ENTRY);
    for (const source of entries) this.transformSource(parser, source);
  }

  transformSource(parser, source) {
    const pieces = [];
    let needsMemory = false;
    for (const stmt of source.statements) {
      if (stmt.kind !== NODE_FUNCTION_DECLARATION) continue;
      if (!(stmt.flags & FLAG_EXPORT) || (stmt.flags & FLAG_DECLARE)) continue;
      const name = stmt.name.text;
      if (name.startsWith("cabi_")) continue;
      const sig = stmt.signature;
      const typeText = (node) => source.text.substring(node.range.start, node.range.end);
      let params, ret;
      try {
        params = sig.parameters.map((p) => {
          if (p.type == null) throw new TypeError_(`parameter ${p.name.text} has no type`);
          try {
            return { name: p.name.text, kind: classify(typeText(p.type)) };
          } catch (e) {
            if (e instanceof TypeError_) throw new TypeError_(`parameter ${p.name.text}: ${e.message}`);
            throw e;
          }
        });
        ret = sig.returnType == null ? { kind: "void" } : classify(typeText(sig.returnType));
        params.forEach((p) => {
          if (p.kind.kind === "void") throw new TypeError_(`parameter ${p.name}: void`);
          if (p.kind.kind === "boxed") throw new TypeError_(`parameter ${p.name}: Box<T> only as Box<T> | null`);
        });
        if (ret.kind === "boxed") throw new TypeError_("result: Box<T> only as Box<T> | null");
      } catch (e) {
        if (e instanceof TypeError_)
          fail(`${source.normalizedPath}: export ${name}: ${e.message}; ` +
               `an export may take and return ${SUPPORTED}`);
        throw e;
      }
      const plain = params.every((p) => p.kind.kind === "num") &&
        (ret.kind === "num" || ret.kind === "void");
      if (plain) continue;
      if (stmt.typeParameters && stmt.typeParameters.length)
        fail(`${source.normalizedPath}: export ${name} is generic`);
      stmt.flags &= ~FLAG_EXPORT;
      needsMemory = true;
      pieces.push(wrapper(name, params, ret));
    }
    if (!pieces.length) return;
    const text = [`import { ${HELPERS.join(", ")} } from "slackfuel";`];
    if (needsMemory && !exportsRealloc(source.text))
      text.push(`export { cabi_realloc } from "slackfuel";`);
    text.push(...pieces);
    const generatedText = text.join("\n") + "\n";
    // Parse the wrappers as a file next to the entry, then move its
    // statements into the entry, so that they see its functions and
    // become its exports.
    const path = source.normalizedPath.replace(/\.ts$/, "") + ".slackfuel-exports.ts";
    const before = parser.sources.length;
    parser.parseFile(generatedText, path, false);
    const generated = parser.sources.splice(before, parser.sources.length - before);
    // The compiler finds a node's file through its range: the generated
    // text is appended to the entry's, and the ranges moved there.
    const base = source.text.length + 1;
    source.text = source.text + "\n" + generatedText;
    if ("lineCache" in source) source.lineCache = null;
    for (const g of generated) {
      rebase(g.statements, g, source, base, new Set());
      source.statements.push(...g.statements);
    }
    if (process.env.SLACKFUEL_TRANSFORM_DEBUG)
      process.stderr.write(`// ${source.normalizedPath}\n${generatedText}`);
  }
}

// Points every range of the nodes under 'node' from 'from' into 'to', at
// 'base' characters further.
function rebase(node, from, to, base, seen) {
  if (node === null || typeof node !== "object" || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const n of node) rebase(n, from, to, base, seen);
    return;
  }
  for (const key of Object.keys(node)) {
    if (key === "source" || key === "parent") continue;
    const v = node[key];
    if (key === "range" && v && v.source === from) {
      if (!seen.has(v)) {
        seen.add(v);
        v.start += base;
        v.end += base;
        v.source = to;
      }
      continue;
    }
    rebase(v, from, to, base, seen);
  }
}

function exportsRealloc(text) {
  return /export\s*\{[^}]*\bcabi_realloc\b[^}]*\}/.test(text) ||
    /export\s+function\s+cabi_realloc\b/.test(text);
}
