#!/usr/bin/env python3
"""Timing experiments on an emitted body with the per-head prologue's preamble (body.cu, as GenCall writes it):
writes body_NAME.cu for each variant, a textual edit, so that the call with each can be timed against the emitted
one (call.cu). Variants marked (bits) change the output and only time what they drop.
    variants.py OUT"""
import re, sys, os
out = sys.argv[1]
src = open(os.path.join(out, "body.cu")).read()
def write(name, text):
    open(os.path.join(out, "body_%s.cu" % name), "w").write(text)
wait = "  qf_pdl_wait();\n"
assert wait in src
# Q's tile and V's scales: the two copies staged before the row constants are loaded, each with its commit
m = re.search(r"  #line \d+ \"[^\"]*\"\n  // stage %q\.i8 = .*?qf_cp_async_commit\(\);\n.*?qf_cp_async_commit\(\);\n", src, re.S)
qv = m.group(0)
# the first key tile's K and V copies, in the live warps' and the idle warps' stage 0 (the same text in both)
stage0 = re.compile(r"(const int qf_next = qf_lo_v_kb \+ 0;\n *if \(qf_next < qf_hi_v_kb\) \{\n *const int v_kb = qf_next;\n *const int qf_sbuf = \(v_kb - qf_lo_v_kb\) % 2;\n)"
                    r"( *// stage %k\.i8 = .*?)( *// stage %align_m)", re.S)
found = stage0.findall(src)
assert found and all(f[1] == found[0][1] for f in found), len(found)
kv = found[0][1]
# early: those copies issued right after the wait, before the preamble, so that their round trip overlaps the
# preamble's (every thread of the block takes its share, as both branches do)
early = src.replace(qv, "")
early = stage0.sub(lambda m: m.group(1) + m.group(3), early)
hoisted = (qv + "  {\n    const int v_kb = 0, qf_sbuf = 0;\n" + kv + "  }\n  qf_cp_async_commit();\n")
early = early.replace(wait, wait + hoisted)
write("early", early)
# (bits) no preamble at all: the constants are the zeros of fresh buffers; what the preamble costs
pre = re.search(r"   \{\n    // pro_blocks > 0: .*?\n    __syncthreads\(\);\n  \}\n", src, re.S)
write("nopre", src.replace(pre.group(0), ""))
write("earlynopre", early.replace(pre.group(0), ""))
# smem: the preamble's outputs kept in shared memory instead of stored to device memory and read back: the row
# constants in one array per output (blockM rows), the key constants (align_m) for every key of the head (N <= 1024
# here), which the loop's align_m staging then copies from shared memory instead of with cp.async from device memory.
# smemearly: that and the early copies above. Both hash equal to the emitted body.
def smem(text):
    bm = int(re.search(r"qf_pre_n0_rows = \(int\)blockIdx\.x \* (\d+)", text).group(1))
    decls = []
    for name in re.findall(r"      p_(\w+)_arg\[k\] = e_\w+_pro;\n", text):
        rows = name != "align_m"
        ctype = re.search(r"(\w+)\* __restrict__ p_%s_arg" % name, text).group(1)
        decls.append("  __shared__ %s qf_pre_%s[%s];\n" % (ctype, name, bm if rows else 1024))
        index = "qf_pre_n - (int)blockIdx.x * %d" % bm if rows else "qf_pre_n"
        text = text.replace("      p_%s_arg[k] = e_" % name, "      qf_pre_%s[%s] = e_" % (name, index), 1)
        if rows:
            load = re.compile(r"p_%s_arg\[\(\(\(i64\)\(\(int\)blockIdx\.z\) \* n_H \+ \(\(int\)blockIdx\.y\)\) \* n_N \+ \(qf_add_int\(qf_mul_int\(\(int\)blockIdx\.x, %d\), (\(qf_wrow[^;]*?\))\)\)\)\]" % (name, bm))
            text, k = load.subn(lambda m: "qf_pre_%s[%s]" % (name, m.group(1)), text)
            assert k > 0, name
    # align_m tiles from the shared array
    cp = re.compile(r"qf_cp_async4\((qf_smem \+ \d+ \+ qf_sbuf \* \d+ \+ qf_r \* 4 \+ qf_k \* 4), qf_tile \+ \(qf_r \* \(int\)\(1LL\) \* 4 \+ qf_k \* 4\), qf_ok \? 4 : 0\);")
    def repl(m):
        return "*reinterpret_cast<int*>(%s) = qf_ok ? qf_pre_align_m[qf_mul_int(v_kb, QF_BN_ALIGN) + qf_r] : 0;" % m.group(1)
    # only the align_m staging (the copy right after its comment)
    parts = text.split("// stage %align_m.1 = %align_m.arg[...]")
    for i in range(1, len(parts)):
        parts[i], k = cp.subn(repl, parts[i], 1)
        assert k == 1
    text = "// stage %align_m.1 = %align_m.arg[...]".join(parts)
    bn = int(re.search(r"stage %align_m\.1 = %align_m\.arg\[\.\.\.\] in shared memory: (\d+) x i32", text).group(1))
    text = text.replace("QF_BN_ALIGN", str(bn))
    head = "  extern __shared__ __align__(16) unsigned char qf_smem[];\n"
    return text.replace(head, head + "".join(decls))
write("smem", smem(src))
write("smemearly", smem(early))
