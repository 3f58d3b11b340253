#!/usr/bin/env python3
"""Timing experiments on an emitted per-head prologue (pro.cu, as GenCall writes it): writes pro_NAME.cu for each
variant, a textual edit of one phase, so that the call with each can be timed against the emitted one (call.cu).
Variants marked (bits) change the output and only time the phase.
    variants.py OUT"""
import re, sys, os
out = sys.argv[1]
src = open(os.path.join(out, "pro.cu")).read()
def edit(name, old, new, count=None):
    assert old in src, (name, old)
    s = src.replace(old, new) if count is None else src.replace(old, new, count)
    open(os.path.join(out, "pro_%s.cu" % name), "w").write(s)
# the staging walk with every load of a thread issued before any store (7 rounds at N = 197, D = 64)
edit("unroll8", "#pragma unroll 4\n", "#pragma unroll 8\n")
# (bits) K's column sums as 4 interleaved chains added at the end, instead of one chain in token order
m = re.search(r"( *)float qf_sum = 0\.0f;\n *#pragma unroll 16\n *for \(int r = 0; r < n_N; \+\+r\) \{\n *qf_sum = qf_sum \+ qf_dyn\[r \* (\d+) \+ c\];\n *\}\n", src)
ind, d = m.group(1), m.group(2)
four = (ind + "float qf_s4[4] = {0.0f, 0.0f, 0.0f, 0.0f};\n" + ind + "#pragma unroll 4\n" + ind + "for (int r = 0; r < n_N; ++r) qf_s4[r & 3] += qf_dyn[r * %s + c];\n" % d
        + ind + "float qf_sum = (qf_s4[0] + qf_s4[1]) + (qf_s4[2] + qf_s4[3]);\n")
edit("mean4", m.group(0), four)
# (bits) no column sums at all: what the means phase costs
edit("nomean", m.group(0), ind + "float qf_sum = 0.0f;\n")
# (bits) K's quantization of its share skipped: what that phase costs
m2 = re.search(r"    for \(int i = qf_t0 \* (\d+) \+ threadIdx\.x \* 4;", src)
edit("noquant", m2.group(0), "    if (0) for (int i = qf_t0 * %s + threadIdx.x * 4;" % m2.group(1))
# the staging walk in chunks of 8 rounds: a thread issues its (up to) 8 loads of a chunk, predicated, before any
# store; the emitted `#pragma unroll 4` over a runtime trip count runs the remainder (3 of A3's 7 rounds) one
# round trip at a time, then one batch of 4
pat = re.compile(r"( *)#pragma unroll 4\n *for \(int i = threadIdx\.x \* 8; i < qf_len; i \+= QF_THREADS \* 8\) \{\n( *const uint4 qf_v = \*reinterpret_cast<const uint4\*>\(&(p_\w+)\[qf_base \+ i\]\);)\n((?: *\*reinterpret_cast<float4\*>.*\n){2}) *\}\n")
def chunk(m):
    ind, load, ptr, stores = m.group(1), m.group(2), m.group(3), m.group(4)
    return (ind + "for (int qf_c0 = threadIdx.x * 8; qf_c0 < qf_len; qf_c0 += QF_THREADS * 64) {\n"
            + ind + "  uint4 qf_vs[8];\n"
            + ind + "  #pragma unroll\n" + ind + "  for (int u = 0; u < 8; ++u) { const int i = qf_c0 + u * QF_THREADS * 8; if (i < qf_len) qf_vs[u] = *reinterpret_cast<const uint4*>(&%s[qf_base + i]); }\n" % ptr
            + ind + "  #pragma unroll\n" + ind + "  for (int u = 0; u < 8; ++u) {\n" + ind + "    const int i = qf_c0 + u * QF_THREADS * 8;\n" + ind + "    if (i < qf_len) {\n"
            + ind + "      const uint4 qf_v = qf_vs[u];\n" + stores + ind + "    }\n" + ind + "  }\n" + ind + "}\n")
assert len(pat.findall(src)) == 2
chunked = pat.sub(chunk, src)
open(os.path.join(out, "pro_chunk8.cu"), "w").write(chunked)
open(os.path.join(out, "pro_chunk8mean4.cu"), "w").write(chunked.replace(m.group(0), four))
# K's quantization reading its 4 elements and their 4 means as two float4 (one ld.shared.v4 each, where the
# scalar reads of consecutive threads 16 bytes apart conflict 4 ways), with and without chunk8
def kq4(text):
    text = text.replace("__shared__ float qf_col[", "__shared__ __align__(16) float qf_col[")
    m = re.search(r"( *)(\*reinterpret_cast<u32\*>\(&b_K_q\[qf_base \+ i\]\) = qf_pack4\(.*\);)\n", text)
    ind, line = m.group(1), m.group(2)
    d = re.search(r"qf_col\[\(i \+ 0\) % (\d+)\]", line).group(1)
    for k, f in enumerate("xyzw"):
        line = line.replace("(qf_dyn[i + %d] - qf_col[(i + %d) %% %s])" % (k, k, d), "(qf_x4.%s - qf_m4.%s)" % (f, f))
    assert "qf_dyn" not in line
    new = (ind + "const float4 qf_x4 = *reinterpret_cast<const float4*>(&qf_dyn[i]);\n" + ind
           + "const float4 qf_m4 = *reinterpret_cast<const float4*>(&qf_col[i %% %s]);\n" % d + ind + line + "\n")
    return text.replace(m.group(0), new)
open(os.path.join(out, "pro_kq4.cu"), "w").write(kq4(src))
open(os.path.join(out, "pro_chunk8kq4.cu"), "w").write(kq4(chunked))
# (bits) V's quantization skipped: what its last phase costs
m3 = re.search(r"    for \(int w = qf_sub \* qf_wper \+ threadIdx\.x;", src)
edit("novquant", m3.group(0), "    if (0) " + m3.group(0).lstrip())
print("variants in", out)
