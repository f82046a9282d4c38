#!/usr/bin/env python3
"""Where slacked fuel's instructions go: every charge in the kernels' code
and how often it runs, under valgrind's callgrind.

    bench/fuel-charges.py [KERNEL...]      # after make (build/sfrun) and make bench (bench/out)

For each kernel (all of bench/out/*.wasm that the callgrind section of
bench/plugins/fuel.sh measures, with its n) it runs build/sfrun twice under
callgrind, fuel off and slacked, the way that section does, the slacked run
with --dump-instr=yes and --dump-code, so each instruction of the JIT code
gets its execution count.  A charge is an instruction that adds to the
fuel register (r15): `add $n,%r15` or `lea n(%r15),%r15`.  A loop is the
range from a backward branch's target to the branch; it is innermost when
no other such range lies inside it, and call-free when no `call` does.
Its shape: straight (no branch in it but the one back), exits (its other
branches leave it) or branching (some land inside it).

The table prints the instructions of both runs, their ratio, the charges
the slacked run executed, the rest of the difference (other: code that
fuel changes besides the charges, such as a peeled loop's entry jump or an
exit stub's jump), how many of them ran in innermost call-free loops by shape,
and the ratio the slacked run would have if those loops' charges ran half
as often (x2), a quarter as often (x4), or never: estimates, which assume
the rest of the code unchanged.
"""
import math
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SFRUN = os.path.join(ROOT, "build", "sfrun")
OUT = os.path.join(ROOT, "bench", "out")
BIG_LIMIT = "1000000000000000000"
CHARGE = re.compile(r"(?:add\s+\$0x[0-9a-f]+|lea\s+-?0x[0-9a-f]+\(%r15\)),%r15$")
BRANCH = re.compile(r"(j\w+)\s+0x([0-9a-f]+)")
INSN = re.compile(r"\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} )+)\s*(.*)$")


def kernel_ns():
    """FUEL_N from bench/plugins/fuel.sh, the one table of n."""
    text = open(os.path.join(ROOT, "bench", "plugins", "fuel.sh")).read()
    m = re.search(r"declare -A FUEL_N=\(([^)]*)\)", text)
    return {k: v for k, v in re.findall(r"\[(\w+)\]=(\d+)", m.group(1))}


def callgrind(args, cg_file, extra):
    """Instructions of one sfrun under callgrind, its stdout and its stderr."""
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg_file] + extra +
                       [SFRUN] + args, capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or not m:
        sys.exit("fuel-charges: %s failed: %s" % (" ".join(args), r.stderr[-400:]))
    return int(m.group(1)), r.stdout, r.stderr


def instr_counts(cg_file):
    """Self cost per instruction address from a --dump-instr=yes profile."""
    counts, cur, call_line = {}, 0, False
    for line in open(cg_file):
        if line.startswith("calls="):
            call_line = True		# the next cost line is the call's inclusive cost
            continue
        if not line or line[0] not in "+-*0123456789":
            continue
        parts = line.split()
        p = parts[0]
        if p[0] == "+":
            cur += int(p[1:], 0)
        elif p[0] == "-":
            cur -= int(p[1:], 0)
        elif p != "*":
            cur = int(p, 0)
        if len(parts) >= 3 and not call_line:
            counts[cur] = counts.get(cur, 0) + int(parts[2])
        call_line = False
    return counts


def functions(dump_out):
    """(vma, objdump command) of each function sfrun --dump-code wrote."""
    return [(int(m.group(2), 16), m.group(1).split())
            for m in re.finditer(r"code: func \d+: (objdump .* --adjust-vma=(0x[0-9a-f]+) \S+)", dump_out)]


def analyse(funcs, counts):
    """Charges executed: in all, and in innermost call-free loops by shape."""
    total, shape = 0, {"straight": 0, "exits": 0, "branching": 0}
    for vma, cmd in funcs:
        insns = []
        for line in subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines():
            m = INSN.match(line)
            if m:
                insns.append((int(m.group(1), 16), len(m.group(2).split()), m.group(3)))
        branches = [(a, int(m.group(2), 16)) for a, _, i in insns for m in [BRANCH.match(i)] if m]
        backs = [(t, a) for a, t in branches if t <= a]
        loops = []
        for t, e in backs:
            if any(t <= t2 and e2 <= e and (t2, e2) != (t, e) for t2, e2 in backs):
                continue
            if any(t <= a <= e and i.startswith("call") for a, _, i in insns):
                continue
            inside = [u for a, u in branches if t <= a < e]
            if not inside:
                loops.append((t, e, "straight"))
            elif all(u > e or u < t for u in inside):
                loops.append((t, e, "exits"))
            else:
                loops.append((t, e, "branching"))
        for a, n, i in insns:
            if not CHARGE.search(i):
                continue
            # a branch may enter a charge past its prefixes: count every
            # address inside the instruction
            runs = sum(counts.get(a + k, 0) for k in range(n))
            total += runs
            for t, e, s in loops:
                if t <= a + n - 1 and a <= e:
                    shape[s] += runs
                    break
    return total, shape


def main():
    ns = kernel_ns()
    kernels = sys.argv[1:] or [k for k in sorted(ns) if os.path.exists(os.path.join(OUT, k + ".wasm"))]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in kernels:
            if k not in ns:
                sys.exit("fuel-charges: no n for %s in bench/plugins/fuel.sh" % k)
            wasm = os.path.join(OUT, k + ".wasm")
            base = ["--fuel=" + BIG_LIMIT, "--interval-ms=0"]
            off, out_off, _ = callgrind(["--fuel-mode=off"] + base + [wasm, "run", ns[k]],
                                     os.path.join(tmp, "off.cg"), [])
            dump = os.path.join(tmp, k)
            os.mkdir(dump)
            sl, out_sl, err_sl = callgrind(["--fuel-mode=slacked", "--dump-code=" + dump] + base + [wasm, "run", ns[k]],
                                   os.path.join(tmp, "sl.cg"), ["--dump-instr=yes"])
            if out_off != out_sl:
                sys.exit("fuel-charges: %s: the results differ" % k)
            total, shape = analyse(functions(err_sl), instr_counts(os.path.join(tmp, "sl.cg")))
            rows.append((k, ns[k], off, sl, total, shape))
    print("Slacked fuel's charges (valgrind callgrind, whole sfrun process, n of the callgrind section);")
    print("loops: innermost call-free; x2, x4, none: slacked/off if their charges ran 1/2, 1/4, 0 times as often (estimates)")
    print()
    print("| kernel | n | off instructions | slacked | slacked/off | charges run | other | in loops: straight | exits | branching | x2 | x4 | none |")
    print("|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    logs = [0.0] * 4
    for k, n, off, sl, total, shape in rows:
        inner = sum(shape.values())
        r = [sl / off, (sl - inner / 2) / off, (sl - inner * 3 / 4) / off, (sl - inner) / off]
        for j in range(4):
            logs[j] += math.log(r[j])
        print("| %s | %s | %d | %d | %.4fx | %d | %d | %d | %d | %d | %.4fx | %.4fx | %.4fx |" %
              (k, n, off, sl, r[0], total, sl - off - total, shape["straight"], shape["exits"],
               shape["branching"], r[1], r[2], r[3]))
    g = [math.exp(x / len(rows)) for x in logs]
    print("| geomean | | | | %.4fx | | | | | | %.4fx | %.4fx | %.4fx |" % tuple(g))


if __name__ == "__main__":
    main()
