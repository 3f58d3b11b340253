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
